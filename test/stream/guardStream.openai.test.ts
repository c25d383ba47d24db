import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { guardStream, type StreamEndReport } from '../../src/stream/guardStream.js';
import { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';

let server: FakeOpenAI;
let client: OpenAI;

beforeAll(async () => {
  server = await startFakeOpenAI();
  client = new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

const messages = [{ role: 'user' as const, content: 'hi' }];

/** Opens a chat completion stream on the fake server, guarded, with `controller` passed to the SDK. */
async function openChat(controller: AbortController, options: { idleMs?: number } = {}) {
  const ends: StreamEndReport[] = [];
  const source = await client.chat.completions.create(
    { model: 'gpt-test', messages, stream: true },
    { signal: controller.signal },
  );
  const stream = await guardStream(source, { controller, ...options, onEnd: (e) => ends.push(e) });
  return { stream, ends, request: () => server.requests.at(-1) };
}

async function read(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const text: string[] = [];
  const error = await (async () => {
    for await (const chunk of stream) text.push(chunk.choices[0]?.delta.content ?? '');
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { text, error };
}

describe('guardStream with the real openai client', () => {
  it('delivers a clean stream of 1,000 chunks in order', async () => {
    const chunks = Array.from({ length: 1_000 }, (_, i) => `c${i} `);
    server.setScript(replies.stream({ chunks }));
    const { stream, ends } = await openChat(new AbortController(), { idleMs: 1_000 });
    const { text, error } = await read(stream);
    expect(error).toBeUndefined();
    expect(text.filter((t) => t !== '')).toEqual(chunks);
    expect(ends).toMatchObject([{ outcome: 'completed', chunks: stream.chunks }]);
    expect(server.requests.at(-1)?.clientClosed).toBe(false);
  });

  it('fails a stream that stalls after 3 chunks within idleMs + 100 ms and closes the connection', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd', 'e'], stallAfter: 3 }));
    const { stream, ends, request } = await openChat(new AbortController(), { idleMs: 300 });
    const started = performance.now();
    const { text, error } = await read(stream);
    const elapsed = performance.now() - started;
    expect(text).toEqual(['a', 'b', 'c']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error).toMatchObject({ chunks: 3 });
    expect((error as StreamInterruptedError).cause).toBeInstanceOf(TimeoutError);
    expect((error as StreamInterruptedError).cause).toMatchObject({
      scope: 'idle',
      timeoutMs: 300,
    });
    expect(classifyOpenAIError(error).kind).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(400);
    expect(ends).toMatchObject([{ outcome: 'failed', chunks: 3 }]);
    await vi.waitFor(() => expect(request()?.clientClosed).toBe(true));
  });

  it('fails a stream whose connection drops mid-stream with a connection error', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd'], dropAfter: 2 }));
    const { stream } = await openChat(new AbortController(), { idleMs: 5_000 });
    const { text, error } = await read(stream);
    expect(text).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error).toMatchObject({ chunks: 2 });
    expect(classifyOpenAIError(error)).toMatchObject({ kind: 'connection', retryable: true });
  });

  it("fails a stream on an SSE error payload with the server's own error", async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd'], errorAfter: 3 }));
    const { stream, ends } = await openChat(new AbortController(), { idleMs: 5_000 });
    const { text, error } = await read(stream);
    expect(text).toEqual(['a', 'b', 'c']);
    expect((error as StreamInterruptedError).cause).toBeInstanceOf(OpenAI.APIError);
    expect(classifyOpenAIError(error)).toMatchObject({ kind: 'server' });
    expect(ends).toMatchObject([{ outcome: 'failed', chunks: 3 }]);
  });

  it('fails, never ends silently, when the caller aborts mid-stream; the server sees the close', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd'], stallAfter: 2 }));
    const controller = new AbortController();
    const { stream, request } = await openChat(controller, { idleMs: 5_000 });
    let abortedAt = Number.NaN;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 100);
    const { text, error } = await read(stream);
    expect(performance.now() - abortedAt).toBeLessThan(50);
    expect(text).toEqual(['a', 'b']);
    expect(error).toMatchObject({ name: 'StreamInterruptedError', chunks: 2 });
    expect(classifyOpenAIError(error).kind).toBe('aborted');
    await vi.waitFor(() => expect(request()?.clientClosed).toBe(true));
  });

  it('closes the connection at once when the consumer breaks early', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd'], stallAfter: 3 }));
    const controller = new AbortController();
    const { stream, ends, request } = await openChat(controller, { idleMs: 5_000 });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content === 'b') break;
    }
    expect(controller.signal.aborted).toBe(true);
    expect(ends).toMatchObject([{ outcome: 'released', chunks: 2 }]);
    await vi.waitFor(() => expect(request()?.clientClosed).toBe(true));
  });

  it("guards the Responses API's event stream, resolving at its first output", async () => {
    server.setScript(replies.stream({ chunks: ['Hel', 'lo'] }));
    const controller = new AbortController();
    const source = await client.responses.create(
      { model: 'gpt-test', input: 'hi', stream: true },
      { signal: controller.signal },
    );
    const stream = await guardStream(source, { controller, idleMs: 1_000 });
    const types: string[] = [];
    const deltas: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') deltas.push(event.delta);
    }
    expect(types.slice(0, 5)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
    ]);
    expect(types.at(-1)).toBe('response.completed');
    expect(deltas).toEqual(['Hel', 'lo']);
  });

  it('stops a Responses API stream that stalls after its first output', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], stallAfter: 1 }));
    const controller = new AbortController();
    const source = await client.responses.create(
      { model: 'gpt-test', input: 'hi', stream: true },
      { signal: controller.signal },
    );
    const stream = await guardStream(source, { controller, idleMs: 200 });
    const error = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ chunks: 5, cause: { scope: 'idle' } });
    await vi.waitFor(() => expect(server.requests.at(-1)?.clientClosed).toBe(true));
  });
});
