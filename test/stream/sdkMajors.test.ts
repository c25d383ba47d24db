import OpenAI7 from 'openai';
import OpenAI4 from 'openai-v4';
import OpenAI5 from 'openai-v5';
import OpenAI6 from 'openai-v6';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { LlmStreamPolicy } from '../../src/stream/LlmStreamPolicy.js';
import { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';

let server: FakeOpenAI;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(async () => {
  await server.close();
});

/** What the tests need of a client of any openai major: a streamed chat completion. */
type StreamingClient = {
  chat: {
    completions: {
      create(
        body: { model: string; messages: { role: 'user'; content: string }[]; stream: true },
        options: { signal: AbortSignal },
      ): PromiseLike<AsyncIterable<{ choices: { delta: { content?: string | null } }[] }>>;
    };
  };
};

const MAJORS: [string, (baseURL: string) => StreamingClient][] = [
  ['openai 4', (baseURL) => new OpenAI4({ apiKey: 'sk-test', baseURL, maxRetries: 0 })],
  ['openai 5', (baseURL) => new OpenAI5({ apiKey: 'sk-test', baseURL, maxRetries: 0 })],
  ['openai 6', (baseURL) => new OpenAI6({ apiKey: 'sk-test', baseURL, maxRetries: 0 })],
  ['openai 7', (baseURL) => new OpenAI7({ apiKey: 'sk-test', baseURL, maxRetries: 0 })],
];

describe.each(MAJORS)('the stream policy with %s', (_major, makeClient) => {
  const policy = new LlmStreamPolicy({ timeout: { firstTokenMs: 2_000, idleMs: 300 } });
  const call = (signal?: AbortSignal) => {
    const client = makeClient(server.baseURL);
    return policy.execute(
      ({ signal: s }) =>
        client.chat.completions.create(
          { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true },
          { signal: s },
        ),
      signal,
    );
  };
  const read = async (
    stream: AsyncIterable<{ choices: { delta: { content?: string | null } }[] }>,
  ) => {
    const text: string[] = [];
    try {
      for await (const chunk of stream) text.push(chunk.choices[0]?.delta.content ?? '');
      return { text };
    } catch (error) {
      return { text, error };
    }
  };

  it('delivers a whole stream', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'] }));
    expect(await read(await call())).toEqual({ text: ['a', 'b', 'c', ''] });
  });

  it('throws a connection error for a dropped connection', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], dropAfter: 2 }));
    const { text, error } = await read(await call());
    expect(text).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(classifyOpenAIError(error).kind).toBe('connection');
  });

  it('throws on a stall and closes the connection', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], stallAfter: 1 }));
    const requests = server.requests.length;
    const { text, error } = await read(await call());
    expect(text).toEqual(['a']);
    expect(error).toMatchObject({ chunks: 1, cause: { scope: 'idle' } });
    await vi.waitFor(() => expect(server.requests[requests]?.clientClosed).toBe(true));
  });

  it("throws, never ends silently, on the caller's abort", async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], chunkDelayMs: 50 }));
    const caller = new AbortController();
    const stream = await call(caller.signal);
    setTimeout(() => caller.abort(), 20);
    const { text, error } = await read(stream);
    expect(text).toEqual(['a']);
    expect(error).toMatchObject({ name: 'StreamInterruptedError', chunks: 1 });
    expect(classifyOpenAIError(error).kind).toBe('aborted');
  });
});
