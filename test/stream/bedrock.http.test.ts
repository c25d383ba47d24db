// AWS Bedrock's ConverseStream speaks the binary AWS event stream over HTTP/2, which the test kit
// does not serve: this test runs a small HTTP/2 server that frames the events with the codec the
// Bedrock client itself decodes them with.
import { createServer, type Http2Server, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  ModelStreamErrorException,
} from '@aws-sdk/client-bedrock-runtime';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StreamEndedEarlyError } from '../../src/stream/StreamEndedEarlyError.js';
import { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';
import { expectInterrupted, quickStreamPolicy, readText } from '../support/providerStreams.js';

const codec = new EventStreamCodec(
  (input) => Buffer.from(input).toString('utf8'),
  (input) => Buffer.from(input, 'utf8'),
);

type Headers = Record<string, { type: 'string'; value: string }>;
const header = (value: string) => ({ type: 'string' as const, value });

function frame(headers: Headers, body: unknown): Uint8Array {
  return codec.encode({ headers, body: Buffer.from(JSON.stringify(body), 'utf8') });
}
const event = (type: string, body: unknown) =>
  frame(
    {
      ':message-type': header('event'),
      ':event-type': header(type),
      ':content-type': header('application/json'),
    },
    body,
  );
const exception = (type: string, message: string) =>
  frame(
    {
      ':message-type': header('exception'),
      ':exception-type': header(type),
      ':content-type': header('application/json'),
    },
    { message },
  );

/** How the server answers the next ConverseStream request. */
interface Plan {
  chunks: string[];
  /** After this many deltas: end cleanly, send a modelStreamErrorException, or stall. */
  cutAfter?: number;
  errorAfter?: number;
  stallAfter?: number;
}

let server: Http2Server;
let client: BedrockRuntimeClient;
let plans: Plan[] = [];
let requests = 0;
const open = new Set<Http2ServerResponse>();

function answer(res: Http2ServerResponse, plan: Plan): void {
  res.writeHead(200, {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': `req-${requests}`,
  });
  res.write(event('messageStart', { role: 'assistant', p: 'abc' }));
  res.write(event('contentBlockStart', { contentBlockIndex: 0, start: {}, p: 'abc' }));
  const stopAt = plan.cutAfter ?? plan.errorAfter ?? plan.stallAfter ?? plan.chunks.length;
  for (const text of plan.chunks.slice(0, stopAt)) {
    res.write(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text }, p: 'abc' }));
  }
  if (plan.stallAfter !== undefined) return;
  if (plan.cutAfter !== undefined) {
    res.end();
  } else if (plan.errorAfter !== undefined) {
    res.end(exception('modelStreamErrorException', 'The model stream failed.'));
  } else {
    res.write(event('contentBlockStop', { contentBlockIndex: 0, p: 'abc' }));
    res.write(event('messageStop', { stopReason: 'end_turn', p: 'abc' }));
    res.end(
      event('metadata', {
        usage: { inputTokens: 3, outputTokens: plan.chunks.length, totalTokens: 9 },
        metrics: { latencyMs: 5 },
        p: 'abc',
      }),
    );
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests += 1;
    open.add(res);
    res.on('close', () => open.delete(res));
    req.resume();
    req.on('end', () => answer(res, plans.shift() ?? { chunks: ['default'] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-test' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  for (const res of open) res.destroy();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  plans = [];
  requests = 0;
});

const converse = async ({ signal }: { signal: AbortSignal }) => {
  const response = await client.send(
    new ConverseStreamCommand({
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      messages: [{ role: 'user', content: [{ text: 'hi' }] }],
    }),
    { abortSignal: signal },
  );
  if (response.stream === undefined) throw new Error('no stream');
  return response.stream;
};

const textOf = (event: ConverseStreamOutput) => event.contentBlockDelta?.delta?.text;

describe('streamPolicy with the real Bedrock Runtime ConverseStream', () => {
  it('delivers a complete stream through messageStop and metadata', async () => {
    plans = [{ chunks: ['Hello', ' there'] }];
    const { policy, ends } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(converse), textOf);
    expect(error).toBeUndefined();
    expect(text).toEqual(['Hello', ' there']);
    expect(ends()).toMatchObject([{ outcome: 'completed', chunks: 7 }]);
  });

  it('fails a stream cut cleanly before messageStop, instead of ending silently', async () => {
    plans = [{ chunks: ['a', 'b', 'c'], cutAfter: 2 }];
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(converse), textOf);
    expect(text).toEqual(['a', 'b']);
    expect(expectInterrupted(error, 'connection').cause).toBeInstanceOf(StreamEndedEarlyError);
  });

  it('retries a stream cut after messageStart, before any delta', async () => {
    plans = [{ chunks: ['lost'], cutAfter: 0 }, { chunks: ['fine'] }];
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(converse), textOf);
    expect(error).toBeUndefined();
    expect(text).toEqual(['fine']);
    expect(requests).toBe(2);
  });

  it('throws a modelStreamErrorException after the first delta as a StreamInterruptedError', async () => {
    plans = [{ chunks: ['a', 'b', 'c'], errorAfter: 1 }];
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(converse), textOf);
    expect(text).toEqual(['a']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).cause).toBeInstanceOf(ModelStreamErrorException);
  });

  it('fails a stalled stream after idleMs', async () => {
    plans = [{ chunks: ['a', 'b'], stallAfter: 1 }];
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(converse), textOf);
    expect(text).toEqual(['a']);
    expectInterrupted(error, 'timeout');
  });
});
