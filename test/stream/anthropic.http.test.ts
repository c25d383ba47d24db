import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { StreamEndedEarlyError } from '../../src/stream/StreamEndedEarlyError.js';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';
import { expectInterrupted, quickStreamPolicy, readText } from '../support/providerStreams.js';

let server: FakeOpenAI;
let client: Anthropic;

beforeAll(async () => {
  server = await startFakeOpenAI();
  client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.origin, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

const messages = ({ signal }: { signal: AbortSignal }) =>
  client.messages.create(
    {
      model: 'claude-sonnet-4-20250514',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    },
    { signal },
  );

const textOf = (event: Anthropic.RawMessageStreamEvent) =>
  event.type === 'content_block_delta' && event.delta.type === 'text_delta'
    ? event.delta.text
    : undefined;

describe('streamPolicy with the real @anthropic-ai/sdk Messages stream', () => {
  it('delivers a complete stream, every event from message_start to message_stop', async () => {
    server.setScript(replies.stream({ chunks: ['Hello', ' there', '!'] }));
    const { policy, ends } = quickStreamPolicy();
    const stream = await policy.execute(messages);
    const types: string[] = [];
    const { text, error } = await readText(stream, (event) => {
      types.push(event.type);
      return textOf(event);
    });
    expect(error).toBeUndefined();
    expect(text).toEqual(['Hello', ' there', '!']);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(ends()).toMatchObject([{ outcome: 'completed', chunks: types.length }]);
  });

  it('fails a stream cut cleanly after two deltas, before message_stop, instead of ending silently', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd'], cutAfter: 2 }));
    const { policy, ends } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(messages), textOf);
    expect(text).toEqual(['a', 'b']);
    expect(expectInterrupted(error, 'connection').cause).toBeInstanceOf(StreamEndedEarlyError);
    expect(ends()).toMatchObject([{ outcome: 'failed', reason: { kind: 'connection' } }]);
  });

  it('retries an overloaded_error event before the first delta: message_start does not commit', async () => {
    server.setScript([
      replies.stream({ chunks: ['lost'], errorAfter: 0 }),
      replies.stream({ chunks: ['fine'] }),
    ]);
    const { policy, events } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(messages), textOf);
    expect(error).toBeUndefined();
    expect(text).toEqual(['fine']);
    expect(server.requests).toHaveLength(2);
    expect(events.filter(([name]) => name === 'retry')).toHaveLength(1);
  });

  it('retries a stream cut cleanly after message_start, before any delta', async () => {
    server.setScript([
      replies.stream({ chunks: ['lost'], cutAfter: 0 }),
      replies.stream({ chunks: ['fine'] }),
    ]);
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(messages), textOf);
    expect(error).toBeUndefined();
    expect(text).toEqual(['fine']);
    expect(server.requests).toHaveLength(2);
  });

  it('throws an overloaded_error event after the first delta as a StreamInterruptedError', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], errorAfter: 2 }));
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(messages), textOf);
    expect(text).toEqual(['a', 'b']);
    const interrupted = expectInterrupted(error, 'overloaded');
    expect(interrupted.cause).toBeInstanceOf(Anthropic.APIError);
    expect(String((interrupted.cause as Error).message)).toContain('overloaded_error');
    expect(server.requests).toHaveLength(1);
  });

  it('fails a stalled stream after idleMs and closes the connection', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], stallAfter: 1 }));
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(messages), textOf);
    expect(text).toEqual(['a']);
    expect(expectInterrupted(error, 'timeout').cause).toBeInstanceOf(TimeoutError);
  });

  it('fails a dropped connection as a connection error', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], dropAfter: 2 }));
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(messages), textOf);
    expect(text).toEqual(['a', 'b']);
    expectInterrupted(error, 'connection');
  });

  it('guards the SDK helper client.messages.stream() the same way', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], cutAfter: 1 }));
    const { policy } = quickStreamPolicy();
    const stream = await policy.execute(({ signal }) =>
      client.messages.stream(
        {
          model: 'claude-sonnet-4-20250514',
          max_tokens: 256,
          messages: [{ role: 'user', content: 'hi' }],
        },
        { signal },
      ),
    );
    const { text, error } = await readText(stream, textOf);
    expect(text).toEqual(['a']);
    expectInterrupted(error, 'connection');
  });
});
