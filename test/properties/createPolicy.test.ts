import { getEventListeners } from 'node:events';
import { BrokenCircuitError, BulkheadRejectedError } from 'cockatiel';
import fc from 'fast-check';
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PolicyEvent } from '../../src/events.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import type { PolicyOptions } from '../../src/pipeline/options.js';
import { RATE_LIMIT_DEFAULTS } from '../../src/rateLimit/index.js';
import { numRuns } from './numRuns.js';

// Properties of the whole pipeline over arbitrary options and arbitrary sequences of calls whose
// attempts succeed, fail with every kind of error (with and without server hints), or hang, with
// callers that abort at arbitrary times. Fake timers; the function stands in for the openai SDK
// (it throws the SDK's own error classes and honours ctx.signal as the SDK does).

type Outcome =
  | { kind: 'ok'; after: number }
  | { kind: 'error'; error: ErrorSpec; after: number }
  | { kind: 'hang' };
type ErrorSpec = { status: 400 | 401 | 429 | 500 | 503 | 'connection'; hintMs?: number };

interface CallSpec {
  startAt: number;
  outcomes: Outcome[]; // attempt n gets outcomes[n-1], the last repeating
  abortAt?: number; // ms after the call starts
}

interface Scenario {
  options: PolicyOptions;
  calls: CallSpec[];
}

const errorSpec: fc.Arbitrary<ErrorSpec> = fc.oneof(
  fc.record(
    {
      status: fc.constantFrom(400 as const, 401 as const, 429 as const, 500 as const, 503 as const),
      hintMs: fc.integer({ min: 0, max: 3_000 }),
    },
    { requiredKeys: ['status'] },
  ),
  fc.constant<ErrorSpec>({ status: 'connection' }),
);

const outcome = (withHang: boolean): fc.Arbitrary<Outcome> =>
  fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('ok' as const),
        after: fc.integer({ min: 0, max: 300 }),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('error' as const),
        error: errorSpec,
        after: fc.integer({ min: 0, max: 300 }),
      }),
      weight: 3,
    },
    { arbitrary: fc.constant<Outcome>({ kind: 'hang' }), weight: withHang ? 1 : 0 },
  );

const options: fc.Arbitrary<PolicyOptions> = fc
  .record({
    maxRetries: fc.integer({ min: 0, max: 4 }),
    initialDelayMs: fc.integer({ min: 1, max: 200 }),
    extraDelayMs: fc.integer({ min: 0, max: 2_000 }),
    maxRetryAfterMs: fc.integer({ min: 0, max: 5_000 }),
    attemptMs: fc.option(fc.integer({ min: 50, max: 1_000 }), { nil: undefined }),
    totalMs: fc.option(fc.integer({ min: 1_000, max: 20_000 }), { nil: undefined }),
    breaker: fc.option(
      fc.record({
        consecutiveFailures: fc.integer({ min: 1, max: 5 }),
        halfOpenAfterMs: fc.integer({ min: 10, max: 3_000 }),
      }),
      { nil: undefined },
    ),
    gate: fc.boolean(),
    bulkhead: fc.option(
      fc.record({
        maxConcurrent: fc.integer({ min: 1, max: 4 }),
        maxQueued: fc.integer({ min: 0, max: 6 }),
      }),
      { nil: undefined },
    ),
  })
  .map((o): PolicyOptions => {
    const timeout: { attemptMs?: number; totalMs?: number } = {};
    if (o.attemptMs !== undefined) timeout.attemptMs = o.attemptMs;
    if (o.totalMs !== undefined) timeout.totalMs = o.totalMs;
    return {
      name: 'prop',
      retry: {
        maxRetries: o.maxRetries,
        initialDelayMs: o.initialDelayMs,
        maxDelayMs: o.initialDelayMs + o.extraDelayMs,
        maxRetryAfterMs: o.maxRetryAfterMs,
      },
      timeout: Object.keys(timeout).length > 0 ? timeout : false,
      circuitBreaker: o.breaker ?? false,
      bulkhead: o.bulkhead ?? false,
      rateLimit: o.gate ? {} : false,
    };
  });

const scenario: fc.Arbitrary<Scenario> = options.chain((opts) => {
  // A hang ends only by a timeout or an abort: without a timeout, every call aborts at some point.
  const canTimeOut = opts.timeout !== false;
  const call = fc.record(
    {
      startAt: fc.integer({ min: 0, max: 2_000 }),
      outcomes: fc.array(outcome(true), { minLength: 1, maxLength: 6 }),
      abortAt: fc.integer({ min: 0, max: 10_000 }),
    },
    { requiredKeys: canTimeOut ? ['startAt', 'outcomes'] : ['startAt', 'outcomes', 'abortAt'] },
  );
  return fc.record({
    options: fc.constant(opts),
    calls: fc.array(call, { minLength: 1, maxLength: 10 }),
  });
});

function sdkError(spec: ErrorSpec): Error {
  if (spec.status === 'connection') return new APIConnectionError({ message: 'Connection error.' });
  const headers = new Headers();
  if (spec.hintMs !== undefined) headers.set('retry-after-ms', String(spec.hintMs));
  const body =
    spec.status === 429
      ? { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' }
      : { message: 'failed', type: spec.status >= 500 ? 'server_error' : 'invalid_request_error' };
  return APIError.generate(spec.status, { error: body }, undefined, headers);
}

/** One attempt of the fake SDK call: settles per its outcome, or rejects at once on abort. */
function attempt(signal: AbortSignal, o: Outcome): Promise<string> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(new APIUserAbortError());
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (o.kind === 'hang') return;
    timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      if (o.kind === 'ok') resolve('done');
      else reject(sdkError(o.error));
    }, o.after);
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createPolicy (properties)', () => {
  it('holds every invariant over arbitrary calls, faults, hints, hangs, timeouts and aborts', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ options: opts, calls }) => {
        vi.useFakeTimers();
        try {
          const policy = createPolicy(opts);
          const retry = opts.retry === false || opts.retry === undefined ? undefined : opts.retry;
          const bulkhead = opts.bulkhead === false ? undefined : opts.bulkhead;
          let inFlight = 0;
          let maxInFlight = 0;
          let breakerOpen = false;
          const violations: string[] = [];
          // Each retry, with how long the breaker then stays open (0 when it is not).
          const retries: (PolicyEvent<'retry'> & { breakerLeftMs: number })[] = [];
          let halfOpensAt = 0;
          policy.events.on('break', (e) => {
            breakerOpen = true;
            halfOpensAt = Date.now() + (e.openMs ?? 0);
          });
          policy.events.on('halfOpen', () => {
            breakerOpen = false;
          });
          policy.events.on('reset', () => {
            breakerOpen = false;
          });
          policy.events.on('retry', (e) =>
            retries.push({ ...e, breakerLeftMs: breakerOpen ? halfOpensAt - Date.now() : 0 }),
          );

          const results = calls.map((spec, index) => {
            const record = {
              attempts: [] as number[],
              calledAt: [] as number[],
              failures: [] as { at: number; hintMs: number | undefined }[],
              lastFailureAt: undefined as number | undefined,
              lastHint: undefined as number | undefined,
              settled: false,
              outcome: undefined as unknown,
              signal: undefined as AbortSignal | undefined,
            };
            const started = new Promise<void>((go) => setTimeout(go, spec.startAt));
            const done = started.then(() => {
              const controller = new AbortController();
              record.signal = controller.signal;
              let abortTimer: ReturnType<typeof setTimeout> | undefined;
              if (spec.abortAt !== undefined) {
                abortTimer = setTimeout(
                  () => controller.abort(new Error(`caller ${index} gave up`)),
                  spec.abortAt,
                );
              }
              return policy
                .execute(async ({ signal, attempt: n }) => {
                  record.attempts.push(n);
                  record.calledAt.push(Date.now());
                  if (breakerOpen || policy.circuitState === 'open') {
                    violations.push(`call ${index} ran attempt ${n} while the breaker was open`);
                  }
                  inFlight += 1;
                  maxInFlight = Math.max(maxInFlight, inFlight);
                  const o = spec.outcomes[Math.min(n - 1, spec.outcomes.length - 1)] as Outcome;
                  try {
                    return await attempt(signal, o);
                  } catch (error) {
                    // Only an answer the pipeline saw: not one that lost to a timeout or abort.
                    const hintMs =
                      o.kind === 'error' && !signal.aborted ? o.error.hintMs : undefined;
                    record.failures[n - 1] = { at: Date.now(), hintMs };
                    throw error;
                  } finally {
                    inFlight -= 1;
                  }
                }, controller.signal)
                .then(
                  (value) => {
                    record.outcome = value;
                  },
                  (error: unknown) => {
                    record.outcome = error;
                  },
                )
                .finally(() => {
                  clearTimeout(abortTimer);
                  record.settled = true;
                });
            });
            return { record, done };
          });

          await vi.runAllTimersAsync();
          await vi.runAllTimersAsync();

          // Every execute settles, and nothing is left behind.
          for (const [i, { record }] of results.entries()) {
            expect(record.settled, `call ${i} settled`).toBe(true);
            if (record.signal) expect(getEventListeners(record.signal, 'abort')).toHaveLength(0);
          }
          expect(vi.getTimerCount()).toBe(0);
          expect(violations).toEqual([]);

          // The bulkhead never runs more than maxConcurrent functions at once.
          if (bulkhead) expect(maxInFlight).toBeLessThanOrEqual(bulkhead.maxConcurrent);

          for (const { record } of results) {
            // No execute makes more than maxRetries + 1 attempts. Attempt numbers rise; one refused
            // by an open breaker counts without calling the function, so the first call may be 2.
            const max = retry ? retry.maxRetries + 1 : 1;
            expect(record.attempts.length).toBeLessThanOrEqual(max);
            for (const [k, n] of record.attempts.entries()) {
              expect(n).toBeGreaterThan(k === 0 ? 0 : (record.attempts[k - 1] as number));
              expect(n).toBeLessThanOrEqual(max);
            }
            if (opts.circuitBreaker === false) {
              expect(record.attempts).toEqual(record.attempts.map((_, k) => k + 1));
            }
          }

          // Every retry delay is within [0, maxDelayMs] (a wait for an open breaker to half-open
          // excepted: a retry waits for it whole), and at least the server's hint when it is
          // honoured; with the gate on, a 429's wait is the gate's closure, at most its maxWaitMs
          // (real gaps checked below).
          const gateOn = opts.rateLimit !== false;
          const gateMaxWaitMs =
            (opts.rateLimit || undefined)?.maxWaitMs ?? RATE_LIMIT_DEFAULTS.maxWaitMs;
          for (const e of retries) {
            expect(e.delayMs).toBeGreaterThanOrEqual(0);
            if (!retry || e.reason.kind === 'aborted') continue;
            if (e.breakerLeftMs > 0) {
              expect(e.delayMs).toBeGreaterThanOrEqual(Math.floor(e.breakerLeftMs));
              if (e.delayMs > retry.maxDelayMs) {
                expect(e.delayMs).toBeLessThanOrEqual(
                  Math.ceil(Math.max(e.breakerLeftMs, e.reason.retryAfterMs ?? 0)),
                );
                continue;
              }
            }
            if (gateOn && e.reason.kind === 'rate_limit') {
              expect(e.delayMs).toBeLessThanOrEqual(gateMaxWaitMs);
              continue;
            }
            const hint = e.reason.retryAfterMs;
            if (hint !== undefined && hint <= retry.maxRetryAfterMs) {
              expect(e.delayMs).toBeGreaterThanOrEqual(hint);
              expect(e.delayMs).toBeLessThanOrEqual(Math.max(retry.maxDelayMs, hint));
            } else {
              expect(e.delayMs).toBeLessThanOrEqual(retry.maxDelayMs);
            }
          }
          // The next attempt of a call never starts before the hint of the failure before it.
          for (const [i, { record }] of results.entries()) {
            for (let n = 1; n < record.calledAt.length; n++) {
              const failure = record.failures[n - 1];
              const next = record.calledAt[n] as number;
              if (
                failure?.hintMs !== undefined &&
                retry &&
                failure.hintMs <= retry.maxRetryAfterMs
              ) {
                expect(next - failure.at, `call ${i} attempt ${n + 1}`).toBeGreaterThanOrEqual(
                  failure.hintMs,
                );
              }
            }
          }

          // Rejections are what the contract names (kept loose: classified by the caller).
          for (const { record } of results) {
            if (record.outcome instanceof BulkheadRejectedError) expect(bulkhead).toBeDefined();
            if (record.outcome instanceof BrokenCircuitError)
              expect(opts.circuitBreaker).not.toBe(false);
          }
        } finally {
          vi.useRealTimers();
        }
      }),
      { numRuns: numRuns(200) },
    );
  });
});
