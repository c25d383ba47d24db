import { BulkheadRejectedError } from 'cockatiel';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { CHAT_POLICY_DEFAULTS } from '../../src/policies/chat.js';
import {
  createStreamPolicy,
  STREAM_POLICY_DEFAULTS,
  streamPolicy,
} from '../../src/policies/stream.js';
import { LlmStreamPolicy } from '../../src/stream/LlmStreamPolicy.js';
import { StreamEndedEarlyError } from '../../src/stream/StreamEndedEarlyError.js';
import { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';
import { outcome, recordEvents } from '../support/pipeline.js';

let server: FakeOpenAI;
let client: OpenAI;

beforeAll(async () => {
  server = await startFakeOpenAI();
  client = new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

const FAST_RETRY = { initialDelayMs: 20, maxDelayMs: 50 };

/** The preset with short timeouts and retry delays, so the tests run in milliseconds. */
function policy(overrides: Parameters<typeof createStreamPolicy>[0] = {}) {
  return createStreamPolicy({
    retry: FAST_RETRY,
    timeout: { firstTokenMs: 1_000, idleMs: 1_000, totalMs: 10_000 },
    ...overrides,
  });
}

function chat(model = 'gpt-test') {
  return ({ signal }: { signal: AbortSignal }) =>
    client.chat.completions.create(
      { model, messages: [{ role: 'user', content: 'hi' }], stream: true },
      { signal },
    );
}

/** Reads a chat stream: the content of each chunk that had some, and the error, if any. */
async function read(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const text: string[] = [];
  try {
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) text.push(content);
    }
    return { text };
  } catch (error) {
    return { text, error };
  }
}

describe('the stream preset', () => {
  it('keeps the chat preset stages and allows minutes for a reasoning model to start', () => {
    const { name, timeout, ...stages } = STREAM_POLICY_DEFAULTS;
    const { name: _chat, timeout: _chatTimeout, ...chatStages } = CHAT_POLICY_DEFAULTS;
    expect(name).toBe('stream');
    expect(stages).toEqual(chatStages);
    expect(timeout).toEqual({ firstTokenMs: 300_000, idleMs: 60_000, totalMs: 600_000 });
    expect(streamPolicy).toBeInstanceOf(LlmStreamPolicy);
    expect(streamPolicy.name).toBe('stream');
    expect(Object.isFrozen(STREAM_POLICY_DEFAULTS)).toBe(true);
  });

  it('merges overrides stage by stage and turns a stage off with false', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], stallAfter: 1 }));
    // Only idleMs is overridden: the first-token and total timeouts keep their defaults.
    const custom = createStreamPolicy({ name: 'mine', timeout: { idleMs: 150 }, retry: false });
    expect(custom.name).toBe('mine');
    const events = recordEvents(custom);
    const started = performance.now();
    const { text, error } = await read(await custom.execute(chat()));
    expect(text).toEqual(['a']);
    expect(error).toMatchObject({ cause: { scope: 'idle', timeoutMs: 150 } });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(events.map(([e]) => e)).toEqual(['firstToken', 'success', 'timeout', 'streamEnd']);
    expect(() => createStreamPolicy({ timeout: { idleMs: -1 } })).toThrow(
      new TypeError('timeout.idleMs must be a number of milliseconds > 0, or Infinity, got -1'),
    );
  });

  it('works as the process-wide streamPolicy', async () => {
    server.setScript(replies.stream({ chunks: ['x', 'y'] }));
    expect(await read(await streamPolicy.execute(chat()))).toEqual({ text: ['x', 'y'] });
  });
});

describe('streamPolicy with the real openai client', () => {
  it('retries a stream that stalls before its first chunk, then succeeds', async () => {
    server.setScript([replies.stream({ stallAfter: 0 }), replies.stream({ chunks: ['ok', '!'] })]);
    const p = policy({ timeout: { firstTokenMs: 300 } });
    const events = recordEvents(p);
    const { text, error } = await read(await p.execute(chat()));
    expect(error).toBeUndefined();
    expect(text).toEqual(['ok', '!']);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.clientClosed).toBe(true);
    expect(server.requests[1]?.clientClosed).toBe(false);
    expect(events.map(([e]) => e)).toEqual([
      'timeout',
      'retry',
      'firstToken',
      'success',
      'streamEnd',
    ]);
    expect(events[0]?.[1]).toEqual({
      policy: 'stream',
      scope: 'firstToken',
      timeoutMs: 300,
      attempt: 1,
    });
    expect(events[2]?.[1]).toMatchObject({ attempt: 2 });
  });

  it('rejects a stream that stalls after 3 chunks within idleMs + 100 ms and closes it', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd', 'e'], stallAfter: 3 }));
    const p = policy({ timeout: { idleMs: 400 } });
    const events = recordEvents(p);
    const stream = await p.execute(chat());
    const started = performance.now();
    const { text, error } = await read(stream);
    const elapsed = performance.now() - started;
    expect(text).toEqual(['a', 'b', 'c']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).cause).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ chunks: 3, cause: { scope: 'idle', timeoutMs: 400 } });
    expect(elapsed).toBeGreaterThanOrEqual(395);
    expect(elapsed).toBeLessThan(500);
    await vi.waitFor(() => expect(server.requests[0]?.clientClosed).toBe(true));
    expect(server.requests).toHaveLength(1);
    expect(events.at(-1)?.[1]).toMatchObject({
      outcome: 'failed',
      chunks: 3,
      reason: { kind: 'timeout' },
    });
  });

  it('fails a stream whose connection drops mid-stream with a connection error, not silently', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd'], dropAfter: 2 }));
    const p = policy();
    const events = recordEvents(p);
    const { text, error } = await read(await p.execute(chat()));
    expect(text).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error).toMatchObject({ chunks: 2 });
    expect(classifyOpenAIError(error).kind).toBe('connection');
    expect(events.at(-1)?.[1]).toMatchObject({ outcome: 'failed', reason: { kind: 'connection' } });
    expect(server.requests).toHaveLength(1);
  });

  it("fails a stream on an SSE error payload with the server's own error", async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd'], errorAfter: 3 }));
    const { text, error } = await read(await policy().execute(chat()));
    expect(text).toEqual(['a', 'b', 'c']);
    expect(error).toMatchObject({ name: 'StreamInterruptedError', chunks: 3 });
    expect((error as StreamInterruptedError).cause).toBeInstanceOf(OpenAI.APIError);
    expect(classifyOpenAIError(error)).toMatchObject({ kind: 'server' });
    expect(server.requests).toHaveLength(1);
  });

  it('rejects when the caller aborts mid-stream, and the server sees the close', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd'], chunkDelayMs: 100 }));
    const caller = new AbortController();
    const stream = await policy().execute(chat(), caller.signal);
    const text: string[] = [];
    let abortedAt = 0;
    const error = await (async () => {
      for await (const chunk of stream) {
        text.push(chunk.choices[0]?.delta.content ?? '');
        if (text.length === 2) {
          caller.abort();
          abortedAt = performance.now();
        }
      }
    })().catch((e: unknown) => e);
    expect(performance.now() - abortedAt).toBeLessThan(50);
    expect(text).toEqual(['a', 'b']);
    expect(error).toMatchObject({ name: 'StreamInterruptedError', chunks: 2 });
    expect(classifyOpenAIError(error).kind).toBe('aborted');
    await vi.waitFor(() => expect(server.requests[0]?.clientClosed).toBe(true));
  });

  it('closes the connection and frees the bulkhead slot on an early break', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd'], stallAfter: 3 }));
    const p = policy({ bulkhead: { maxConcurrent: 1, maxQueued: 0 } });
    const events = recordEvents(p);
    const stream = await p.execute(chat());
    await expect(p.execute(chat())).rejects.toBeInstanceOf(BulkheadRejectedError);
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content === 'b') break;
    }
    expect(events.at(-1)).toEqual([
      'streamEnd',
      { policy: 'stream', chunks: 2, durationMs: expect.any(Number), outcome: 'released' },
    ]);
    await vi.waitFor(() => expect(server.requests[0]?.clientClosed).toBe(true));
    server.setScript(replies.stream({ chunks: ['next'] }));
    expect(await read(await p.execute(chat()))).toEqual({ text: ['next'] });
  });

  it('delivers a clean stream of 1,000 chunks in order', async () => {
    const chunks = Array.from({ length: 1_000 }, (_, i) => `${i} `);
    server.setScript(replies.stream({ chunks }));
    const p = policy();
    const events = recordEvents(p);
    const { text, error } = await read(await p.execute(chat()));
    expect(error).toBeUndefined();
    expect(text).toEqual(chunks);
    expect(events.at(-1)?.[1]).toMatchObject({ outcome: 'completed' });
    expect(server.requests[0]?.clientClosed).toBe(false);
  });

  it('never has more than 10 of 50 concurrent streams open at the server with the bulkhead at 10', async () => {
    const p = policy({ bulkhead: { maxConcurrent: 10, maxQueued: 100 } });
    let clientEnded = 0;
    p.events.on('streamEnd', () => {
      clientEnded++;
    });
    // A stream is open at the server from its arrival until the server ends it, which is before
    // the client reads its end: arrivals minus streams the client has ended bounds it from above.
    const openAtArrival: number[] = [];
    server.setScript((request, index) => {
      openAtArrival.push(index + 1 - clientEnded);
      return replies.stream({ chunks: [request.model ?? '', ' end'], chunkDelayMs: 20 });
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => read(await p.execute(chat(`m${i}`)))),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => ({ text: [`m${i}`, ' end'] })));
    expect(server.requests).toHaveLength(50);
    expect(Math.max(...openAtArrival)).toBe(10);
    expect(clientEnded).toBe(50);
  });

  it('fails a chat stream the server closes cleanly before its end, instead of ending silently', async () => {
    const chunk = (content: string) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    server.setScript(
      replies.raw(200, chunk('a') + chunk('b'), { 'content-type': 'text/event-stream' }),
    );
    const p = policy();
    const events = recordEvents(p);
    const { text, error } = await read(await p.execute(chat()));
    expect(text).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).cause).toBeInstanceOf(StreamEndedEarlyError);
    expect(events.at(-1)?.[1]).toMatchObject({ outcome: 'failed', reason: { kind: 'connection' } });
  });

  it('retries a Responses API stream the server closes cleanly before any output', async () => {
    const event = (type: string) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: 0, response: { id: 'r', status: 'in_progress', output: [] } })}\n\n`;
    server.setScript([
      replies.raw(200, event('response.created') + event('response.in_progress'), {
        'content-type': 'text/event-stream',
      }),
      replies.stream({ chunks: ['fine'] }),
    ]);
    const stream = await policy().execute(({ signal }) =>
      client.responses.create({ model: 'gpt-test', input: 'hi', stream: true }, { signal }),
    );
    const deltas: string[] = [];
    for await (const e of stream) if (e.type === 'response.output_text.delta') deltas.push(e.delta);
    expect(deltas).toEqual(['fine']);
    expect(server.requests).toHaveLength(2);
  });

  it('guards a Responses API stream: retried while no output came, then every event in order', async () => {
    server.setScript([
      replies.stream({ stallAfter: 0 }),
      replies.stream({ chunks: ['Hel', 'lo'] }),
    ]);
    const p = policy({ timeout: { firstTokenMs: 300 } });
    const events = recordEvents(p);
    const stream = await p.execute(({ signal }) =>
      client.responses.create({ model: 'gpt-test', input: 'hi', stream: true }, { signal }),
    );
    const types: string[] = [];
    const deltas: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') deltas.push(event.delta);
    }
    expect(deltas).toEqual(['Hel', 'lo']);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(server.requests.map((r) => [r.path, r.clientClosed])).toEqual([
      ['/v1/responses', true],
      ['/v1/responses', false],
    ]);
    expect(events.map(([e]) => e)).toEqual([
      'timeout',
      'retry',
      'firstToken',
      'success',
      'streamEnd',
    ]);
    expect(events.at(-1)?.[1]).toMatchObject({ chunks: types.length, outcome: 'completed' });
  });

  it('fails a Responses API stream that stalls after its first output', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], stallAfter: 1 }));
    const stream = await policy({ timeout: { idleMs: 200 } }).execute(({ signal }) =>
      client.responses.create({ model: 'gpt-test', input: 'hi', stream: true }, { signal }),
    );
    const result = await outcome(
      (async () => {
        for await (const _ of stream);
      })(),
    );
    expect(result.error).toMatchObject({ chunks: 5, cause: { scope: 'idle' } });
    await vi.waitFor(() => expect(server.requests[0]?.clientClosed).toBe(true));
  });
});
