import fc from 'fast-check';
import { APIConnectionError, APIError } from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStreamPolicy } from '../../src/policies/stream.js';
import { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';
import { numRuns } from './numRuns.js';

// Property of the stream preset over arbitrary attempts (failing or stalling before the first
// chunk, or delivering chunks at any pace then ending, failing or stalling) and consumers (read
// all, break, abort): every execute settles; a stream it resolves with either delivers every
// chunk of the attempt that won, in order, or throws a StreamInterruptedError counting what it
// delivered, never ending silently; no attempt starts after the first chunk; the bulkhead slot
// is freed whatever happened (a later call still gets through); no timer is left.

type Before = 'fail500' | 'failConnection' | 'stall';
type Attempt =
  | { kind: Before }
  | { kind: 'chunks'; delays: number[]; end: 'end' | 'throw' | 'stall' };
type Consumer = { kind: 'readAll' } | { kind: 'break' | 'abort'; after: number };

const FIRST_TOKEN_MS = 100;
const IDLE_MS = 30;

const delay = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 10 }), weight: 5 },
  { arbitrary: fc.integer({ min: 31, max: 80 }), weight: 1 }, // longer than the idle limit
);
const attemptArb: fc.Arbitrary<Attempt> = fc.oneof(
  fc.constantFrom<Attempt>({ kind: 'fail500' }, { kind: 'failConnection' }, { kind: 'stall' }),
  fc.record({
    kind: fc.constant('chunks' as const),
    delays: fc.array(delay, { minLength: 1, maxLength: 6 }),
    end: fc.constantFrom('end' as const, 'throw' as const, 'stall' as const),
  }),
);
const consumerArb: fc.Arbitrary<Consumer> = fc.oneof(
  fc.constant<Consumer>({ kind: 'readAll' }),
  fc.record({
    kind: fc.constantFrom('break' as const, 'abort' as const),
    after: fc.integer({ min: 1, max: 6 }),
  }),
);

function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One attempt's stream, as the SDK would give it: it honours the request's signal. */
async function* source(a: Attempt, signal: AbortSignal): AsyncGenerator<number> {
  if (a.kind === 'fail500') {
    await sleep(1, signal);
    throw APIError.generate(500, { error: { message: 'boom' } }, undefined, new Headers());
  }
  if (a.kind === 'failConnection') {
    await sleep(1, signal);
    throw new APIConnectionError({ message: 'Connection error.' });
  }
  if (a.kind === 'stall') return yield* [await waitForAbort(signal)];
  if (a.kind !== 'chunks') return;
  for (const [i, d] of a.delays.entries()) {
    await sleep(d, signal);
    yield i;
  }
  if (a.end === 'throw') throw new TypeError('terminated');
  if (a.end === 'stall') await waitForAbort(signal);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the stream preset (property)', () => {
  it('settles every execute; its stream delivers every chunk or throws with the count, never silently', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(attemptArb, { minLength: 1, maxLength: 4 }),
        consumerArb,
        async (attempts, consumer) => {
          vi.useFakeTimers();
          try {
            const policy = createStreamPolicy({
              retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_000 },
              timeout: { firstTokenMs: FIRST_TOKEN_MS, idleMs: IDLE_MS, totalMs: 60_000 },
              circuitBreaker: false,
              bulkhead: { maxConcurrent: 1, maxQueued: 0 },
            });
            const started: number[] = [];
            let firstChunkAt: number | undefined;
            const caller = new AbortController();
            const received: number[] = [];
            let ended = 'pending' as 'completed' | 'released' | 'threw' | 'rejected' | 'pending';
            let error: unknown;
            let winner: Attempt | undefined;
            const run = (async () => {
              let stream: Awaited<ReturnType<typeof policy.execute<number>>>;
              try {
                stream = await policy.execute(({ signal, attempt }) => {
                  started.push(Date.now());
                  const a = attempts[Math.min(attempt - 1, attempts.length - 1)] as Attempt;
                  winner = a;
                  return source(a, signal);
                }, caller.signal);
              } catch (e) {
                ended = 'rejected';
                error = e;
                return;
              }
              firstChunkAt = Date.now();
              try {
                for await (const chunk of stream) {
                  received.push(chunk);
                  if (consumer.kind === 'break' && received.length === consumer.after) {
                    ended = 'released';
                    break;
                  }
                  if (consumer.kind === 'abort' && received.length === consumer.after) {
                    caller.abort(new Error('caller gave up'));
                  }
                }
                if (ended === 'pending') ended = 'completed';
              } catch (e) {
                ended = 'threw';
                error = e;
              }
            })();
            await vi.runAllTimersAsync();
            await run;

            expect(ended).not.toBe('pending');
            expect(vi.getTimerCount()).toBe(0);
            // Committed at the first chunk: no attempt starts after it.
            if (firstChunkAt !== undefined) {
              for (const t of started) expect(t).toBeLessThanOrEqual(firstChunkAt);
            }
            if (ended === 'completed') {
              // Never silently short: a completed loop saw every chunk of a stream that ended.
              expect(winner?.kind).toBe('chunks');
              const w = winner as Extract<Attempt, { kind: 'chunks' }>;
              expect(w.end).toBe('end');
              expect(received).toEqual(w.delays.map((_, i) => i));
            } else if (ended === 'threw') {
              expect(error).toBeInstanceOf(StreamInterruptedError);
              expect((error as StreamInterruptedError).chunks).toBe(received.length);
            } else if (ended === 'released') {
              expect(received).toHaveLength((consumer as { after: number }).after);
            } else {
              // Rejected before any chunk: nothing was delivered.
              expect(received).toEqual([]);
              expect(error).toBeDefined();
            }
            expect(received).toEqual(received.map((_, i) => i));

            // The bulkhead slot (maxConcurrent 1, no queue) is free again: a new call gets through.
            const next = policy.execute(async function* () {
              yield 42;
            });
            await vi.advanceTimersByTimeAsync(0);
            const chunks: number[] = [];
            for await (const c of await next) chunks.push(c);
            expect(chunks).toEqual([42]);
            expect(vi.getTimerCount()).toBe(0);
          } finally {
            vi.useRealTimers();
          }
        },
      ),
      { numRuns: numRuns(200) },
    );
  });
});
