import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { createStreamPolicy } from '../../src/policies/stream.js';
import type { StreamFn } from '../../src/stream/LlmStreamPolicy.js';
import { StreamEndedEarlyError } from '../../src/stream/StreamEndedEarlyError.js';
import { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';
import { type FakeOpenAI, replies, type Script, startFakeOpenAI } from '../../src/testing/index.js';
import { recordEvents } from './pipeline.js';

/**
 * A fake server for the test file: started before its tests, closed after them, its recorded
 * requests cleared before each test. Returns a getter of it.
 */
export function useFakeServer(): () => FakeOpenAI {
  let server: FakeOpenAI | undefined;
  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    if (server !== undefined) server.requests.length = 0;
  });
  return () => {
    if (server === undefined) throw new Error('the fake server starts in beforeAll');
    return server;
  };
}

/**
 * The stream preset with short timeouts and retry delays, so that provider stream tests run in
 * milliseconds; `streamEnd` events are recorded in `ends`.
 */
export function quickStreamPolicy(overrides: Parameters<typeof createStreamPolicy>[0] = {}) {
  const policy = createStreamPolicy({
    retry: { initialDelayMs: 20, maxDelayMs: 50 },
    timeout: { firstTokenMs: 2_000, idleMs: 300, totalMs: 10_000 },
    ...overrides,
  });
  const events = recordEvents(policy);
  const ends = () => events.filter(([name]) => name === 'streamEnd').map(([, event]) => event);
  return { policy, events, ends };
}

/** Reads `stream` to its end: the text of each chunk that had some, and the error, if any. */
export async function readText<T>(
  stream: AsyncIterable<T>,
  textOf: (chunk: T) => string | undefined,
): Promise<{ text: string[]; error?: unknown }> {
  const text: string[] = [];
  try {
    for await (const chunk of stream) {
      const piece = textOf(chunk);
      if (piece) text.push(piece);
    }
    return { text };
  } catch (error) {
    return { text, error };
  }
}

/** Asserts that `error` is a stream interrupted after `chunks` chunks, of kind `kind`. */
export function expectInterrupted(error: unknown, kind: string): StreamInterruptedError {
  expect(error).toBeInstanceOf(StreamInterruptedError);
  expect(classifyOpenAIError(error).kind).toBe(kind);
  return error as StreamInterruptedError;
}

/** One provider's stream, as the shared scenarios drive it against the fake server. */
export interface ProviderStream<T> {
  /** The fake server the client talks to. */
  server: () => FakeOpenAI;
  /** Starts the streamed request, passing `signal` on to the SDK. */
  open: StreamFn<T>;
  /** The text a chunk carries, if any. */
  textOf: (chunk: T) => string | undefined;
  /** The kind its error event (`replies.stream({ errorAfter })`) classifies as. */
  errorKind: string;
  /** The kind a dropped connection classifies as; default `connection`, `false`: not checked. */
  dropKind?: string | false;
  /** Whether the fake server sends the model's thinking on this stream (`thinking`). */
  thinks?: boolean;
}

/**
 * The scenarios every provider stream must pass through `streamPolicy` over real HTTP: complete;
 * cut cleanly, stalled, dropped or failed by an error event after the first token (thrown, never
 * a silent end); an error event or a clean cut before the first token (retried).
 */
export function itGuardsProviderStream<T>(provider: ProviderStream<T>): void {
  const run = async (script: Script, overrides: Parameters<typeof quickStreamPolicy>[0] = {}) => {
    provider.server().setScript(script);
    const { policy, events, ends } = quickStreamPolicy(overrides);
    const { text, error } = await readText(await policy.execute(provider.open), provider.textOf);
    return { text, error, events, ends, requests: provider.server().requests };
  };

  it('delivers a complete stream', async () => {
    const { text, error, ends } = await run(replies.stream({ chunks: ['Hello', ' there', '!'] }));
    expect(error).toBeUndefined();
    expect(text).toEqual(['Hello', ' there', '!']);
    expect(ends()).toMatchObject([{ outcome: 'completed' }]);
  });

  it('fails a stream cut cleanly after the first token, instead of ending silently', async () => {
    const { text, error, ends } = await run(
      replies.stream({ chunks: ['a', 'b', 'c'], cutAfter: 2 }),
    );
    expect(text).toEqual(['a', 'b']);
    expect(expectInterrupted(error, 'connection').cause).toBeInstanceOf(StreamEndedEarlyError);
    expect(ends()).toMatchObject([{ outcome: 'failed', reason: { kind: 'connection' } }]);
  });

  it('retries an error event that comes before the first token', async () => {
    const { text, error, events, requests } = await run([
      replies.stream({ chunks: ['lost'], errorAfter: 0 }),
      replies.stream({ chunks: ['fine'] }),
    ]);
    expect(error).toBeUndefined();
    expect(text).toEqual(['fine']);
    expect(requests).toHaveLength(2);
    expect(events.filter(([name]) => name === 'retry')).toHaveLength(1);
  });

  it.runIf(provider.thinks === true)(
    'retries an error event after the thinking: thinking does not commit the call',
    async () => {
      const { text, error, requests } = await run([
        replies.stream({ chunks: ['lost'], thinking: ['Let me think', ' hard'], errorAfter: 0 }),
        replies.stream({ chunks: ['fine'], thinking: ['Easy'] }),
      ]);
      expect(error).toBeUndefined();
      expect(text).toEqual(['fine']);
      expect(requests).toHaveLength(2);
    },
  );

  it('throws an error event after the first token as a StreamInterruptedError', async () => {
    const { text, error, ends, requests } = await run(
      replies.stream({ chunks: ['a', 'b', 'c'], errorAfter: 2 }),
    );
    expect(text).toEqual(['a', 'b']);
    expectInterrupted(error, provider.errorKind);
    expect(ends()).toMatchObject([{ outcome: 'failed', reason: { kind: provider.errorKind } }]);
    expect(requests).toHaveLength(1);
  });

  it('fails a stalled stream after idleMs and closes the connection', async () => {
    const { text, error, requests } = await run(
      replies.stream({ chunks: ['a', 'b', 'c'], stallAfter: 1 }),
    );
    expect(text).toEqual(['a']);
    expect(expectInterrupted(error, 'timeout').cause).toBeInstanceOf(TimeoutError);
    await expect.poll(() => requests[0]?.clientClosed).toBe(true);
  });

  it('fails a dropped connection', async () => {
    const { text, error } = await run(replies.stream({ chunks: ['a', 'b', 'c'], dropAfter: 2 }));
    expect(text).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    const { dropKind = 'connection' } = provider;
    if (dropKind !== false) expect(classifyOpenAIError(error).kind).toBe(dropKind);
  });
}
