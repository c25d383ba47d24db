import { expect } from 'vitest';
import { createStreamPolicy } from '../../policies/stream.js';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';
import { recordEvents } from './pipeline.js';

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
