import { ApiError, type GenerateContentResponse, GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { StreamEndedEarlyError } from '../../src/stream/StreamEndedEarlyError.js';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';
import { expectInterrupted, quickStreamPolicy, readText } from '../support/providerStreams.js';

let server: FakeOpenAI;
let client: GoogleGenAI;

beforeAll(async () => {
  server = await startFakeOpenAI();
  client = new GoogleGenAI({ apiKey: 'gemini-test', httpOptions: { baseUrl: server.origin } });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

const generate = ({ signal }: { signal: AbortSignal }) =>
  client.models.generateContentStream({
    model: 'gemini-2.5-flash',
    contents: 'hi',
    config: { abortSignal: signal },
  });

const textOf = (chunk: GenerateContentResponse) => chunk.text;

describe('streamPolicy with the real @google/genai generateContentStream', () => {
  it('delivers a complete stream ending with a finishReason', async () => {
    server.setScript(replies.stream({ chunks: ['Hello', ' there', '!'] }));
    const { policy, ends } = quickStreamPolicy();
    const stream = await policy.execute(generate);
    const { text, error } = await readText(stream, textOf);
    expect(error).toBeUndefined();
    expect(text).toEqual(['Hello', ' there', '!']);
    expect(server.requests[0]).toMatchObject({
      path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
      model: 'gemini-2.5-flash',
      stream: true,
    });
    expect(ends()).toMatchObject([{ outcome: 'completed', chunks: 4 }]);
  });

  it('fails a stream cut cleanly before the finishReason, instead of ending silently', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd'], cutAfter: 2 }));
    const { policy, ends } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(generate), textOf);
    expect(text).toEqual(['a', 'b']);
    expect(expectInterrupted(error, 'connection').cause).toBeInstanceOf(StreamEndedEarlyError);
    expect(ends()).toMatchObject([{ outcome: 'failed', reason: { kind: 'connection' } }]);
  });

  it('retries a 503 error event before the first chunk', async () => {
    server.setScript([
      replies.stream({ chunks: ['lost'], errorAfter: 0 }),
      replies.stream({ chunks: ['fine'] }),
    ]);
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(generate), textOf);
    expect(error).toBeUndefined();
    expect(text).toEqual(['fine']);
    expect(server.requests).toHaveLength(2);
  });

  it('throws a 503 error event after the first chunk as a StreamInterruptedError', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], errorAfter: 2 }));
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(generate), textOf);
    expect(text).toEqual(['a', 'b']);
    const interrupted = expectInterrupted(error, 'overloaded');
    expect(interrupted.cause).toBeInstanceOf(ApiError);
    expect(interrupted.cause).toMatchObject({ status: 503 });
  });

  it('fails a stalled stream after idleMs and closes the connection', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], stallAfter: 1 }));
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(generate), textOf);
    expect(text).toEqual(['a']);
    expect(expectInterrupted(error, 'timeout').cause).toBeInstanceOf(TimeoutError);
    await expect.poll(() => server.requests[0]?.clientClosed).toBe(true);
  });

  it('fails a dropped connection as a connection error', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], dropAfter: 2 }));
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(generate), textOf);
    expect(text).toEqual(['a', 'b']);
    expectInterrupted(error, 'connection');
  });
});
