import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { APIError, APIUserAbortError } from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PolicyEvent } from '../../src/events.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import type { PolicyOptions } from '../../src/pipeline/options.js';
import { numRuns } from './numRuns.js';

// Properties of the hedging stage inside the pipeline, over arbitrary hedge and retry options and
// arbitrary answers per attempt (a success or a 500 after some time, or a hang), with an attempt
// timeout, a caller abort, or both. Fake timers; the function stands in for the openai SDK.

type Answer = { ok: boolean; afterMs: number } | 'hang';

interface Case {
  delayMs: number;
  maxHedges: number;
  maxRetries: number;
  attemptMs: number | undefined;
  abortAtMs: number | undefined;
  answers: Answer[]; // attempt n gets answers[n - 1], the last repeating
}

const answer: fc.Arbitrary<Answer> = fc.oneof(
  fc.record({ ok: fc.boolean(), afterMs: fc.integer({ min: 0, max: 800 }) }),
  fc.constant<Answer>('hang'),
);

const cases: fc.Arbitrary<Case> = fc
  .record({
    delayMs: fc.integer({ min: 0, max: 400 }),
    maxHedges: fc.integer({ min: 1, max: 3 }),
    maxRetries: fc.integer({ min: 0, max: 3 }),
    extraAttemptMs: fc.option(fc.integer({ min: 1, max: 1_500 }), { nil: undefined }),
    abortAtMs: fc.option(fc.integer({ min: 0, max: 6_000 }), { nil: undefined }),
    answers: fc.array(answer, { minLength: 1, maxLength: 8 }),
  })
  .map(({ extraAttemptMs, abortAtMs, ...rest }) => ({
    ...rest,
    attemptMs: extraAttemptMs === undefined ? undefined : rest.delayMs + extraAttemptMs,
    // A hang ends only by a timeout or an abort: without an attempt timeout, the caller aborts.
    abortAtMs: extraAttemptMs === undefined ? (abortAtMs ?? 6_000) : abortAtMs,
  }));

function optionsOf(c: Case): PolicyOptions {
  return {
    name: 'prop',
    hedge: { delayMs: c.delayMs, maxHedges: c.maxHedges },
    retry: { maxRetries: c.maxRetries, initialDelayMs: 50, maxDelayMs: 200, maxRetryAfterMs: 0 },
    timeout: c.attemptMs === undefined ? false : { attemptMs: c.attemptMs },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('hedging (properties)', () => {
  it('settles every call, bounds its attempts, aborts every loser and leaves nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        vi.useFakeTimers();
        try {
          const policy = createPolicy(optionsOf(c));
          const hedges: PolicyEvent<'hedge'>[] = [];
          policy.events.on('hedge', (e) => hedges.push(e));
          const attempts: { n: number; signal: AbortSignal; settled: boolean; ok: boolean }[] = [];
          let running = 0;
          let mostRunning = 0;
          const controller = new AbortController();
          if (c.abortAtMs !== undefined) {
            setTimeout(() => controller.abort(new Error('caller gave up')), c.abortAtMs);
          }
          let settled = false;
          let result: unknown;
          policy
            .execute(({ signal, attempt: n }) => {
              const a = c.answers[Math.min(n - 1, c.answers.length - 1)] as Answer;
              const record = { n, signal, settled: false, ok: a !== 'hang' && a.ok };
              attempts.push(record);
              running++;
              mostRunning = Math.max(mostRunning, running);
              return new Promise<string>((resolve, reject) => {
                let timer: ReturnType<typeof setTimeout> | undefined;
                const end = () => {
                  record.settled = true;
                  running--;
                };
                signal.addEventListener(
                  'abort',
                  () => {
                    clearTimeout(timer);
                    end();
                    reject(new APIUserAbortError());
                  },
                  { once: true },
                );
                if (a === 'hang') return;
                timer = setTimeout(() => {
                  end();
                  if (a.ok) resolve(`answer ${n}`);
                  else
                    reject(
                      APIError.generate(
                        500,
                        { error: { message: 'boom' } },
                        undefined,
                        new Headers(),
                      ),
                    );
                }, a.afterMs);
              });
            }, controller.signal)
            .then(
              (value) => {
                result = value;
              },
              (error: unknown) => {
                result = error;
              },
            )
            .finally(() => {
              settled = true;
            });

          await vi.runAllTimersAsync();
          await vi.runAllTimersAsync();

          // Every call settles, and no timer or listener is left behind.
          expect(settled).toBe(true);
          expect(vi.getTimerCount()).toBe(0);
          expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);

          // Attempts are numbered 1, 2, 3... in the order they start; a call makes at most
          // (maxRetries + 1) x (maxHedges + 1), at most maxHedges + 1 of them at once.
          expect(attempts.map((a) => a.n)).toEqual(attempts.map((_, k) => k + 1));
          expect(attempts.length).toBeLessThanOrEqual((c.maxRetries + 1) * (c.maxHedges + 1));
          expect(mostRunning).toBeLessThanOrEqual(c.maxHedges + 1);

          // Every attempt has settled or been aborted: none is left running after the call.
          for (const a of attempts)
            expect(a.settled || a.signal.aborted, `attempt ${a.n}`).toBe(true);

          // A success is the answer of an attempt that succeeded.
          if (typeof result === 'string') {
            const winner = attempts.find((a) => `answer ${a.n}` === result);
            expect(winner?.ok).toBe(true);
          }

          // Each hedge starts a whole number of delays after its round began, at most maxHedges
          // of them, and names the attempt it started.
          const hedged = new Set(hedges.map((e) => e.attempt));
          expect(hedged.size).toBe(hedges.length);
          for (const e of hedges) {
            expect(attempts.some((a) => a.n === e.attempt)).toBe(true);
            if (c.delayMs > 0) {
              const k = e.delayMs / c.delayMs;
              expect(
                Number.isInteger(k) && k >= 1 && k <= c.maxHedges,
                `hedge at ${e.delayMs} ms`,
              ).toBe(true);
            }
          }
        } finally {
          vi.useRealTimers();
        }
      }),
      { numRuns: numRuns(300) },
    );
  });
});
