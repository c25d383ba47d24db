import { BrokenCircuitError, decorrelatedJitterGenerator } from 'cockatiel';
import { APIUserAbortError } from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/index.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import type { RetryOptions } from '../../src/pipeline/options.js';
import type { RetryBudgetStore } from '../../src/pipeline/RetryBudget.js';
import type {
  EnterAnswer,
  LeaveReport,
  PolicyStateStore,
  PolicyStore,
} from '../../src/store/PolicyStore.js';
import {
  hangUntilAborted,
  httpError,
  outcome,
  recordEvents,
  useFakeClock,
} from '../support/pipeline.js';
import { CLOSED, LEFT } from '../support/storeAnswers.js';

const RETRY: RetryOptions = {
  maxRetries: 3,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** The delays cockatiel's decorrelated jitter gives for `count` retries with RETRY's scale. */
function jitterDelays(count: number, options = RETRY): number[] {
  const delays: number[] = [];
  let state: [number, number] | undefined;
  for (let i = 0; i < count; i++) {
    const [delay, next] = decorrelatedJitterGenerator(state, {
      generator: decorrelatedJitterGenerator,
      exponent: 2,
      initialDelay: options.initialDelayMs,
      maxDelay: options.maxDelayMs,
    });
    delays.push(Math.round(delay));
    state = next;
  }
  return delays;
}

/** A function that fails with `errors` in turn, then resolves with `'ok'`. */
function failing(...errors: unknown[]) {
  return vi.fn(async (_context: { attempt: number }) => {
    const error = errors.shift();
    if (error !== undefined) throw error;
    return 'ok';
  });
}

/**
 * A store whose ways in answer `entries` in turn (then CLOSED), and whose ways out are recorded
 * in `left` and grant every retry asked.
 */
function listedStore(...entries: EnterAnswer[]) {
  const left: LeaveReport[] = [];
  const state: PolicyStateStore = {
    timeoutMs: 1_000,
    enter: () => Promise.resolve(entries.shift() ?? CLOSED),
    leave: (report) => {
      left.push(report);
      return Promise.resolve({ ...LEFT, retryGranted: true });
    },
    ping: () => Promise.resolve(),
  };
  const store: PolicyStore = { policyState: () => state };
  return { store, left };
}

useFakeClock();

describe('retry stage', () => {
  it('retries a retryable error after decorrelated jitter and reports each retry and the success', async () => {
    const policy = createPolicy({ name: 'r', retry: RETRY });
    const events = recordEvents(policy);
    const fn = failing(httpError(500), httpError(503));
    const [first, second] = jitterDelays(2);
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync((first ?? 0) - 1);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(second ?? 0);
    expect(await result).toEqual({ value: 'ok' });
    expect(fn).toHaveBeenCalledTimes(3);
    expect(fn.mock.calls.map(([context]) => context.attempt)).toEqual([1, 2, 3]);
    expect(events).toEqual([
      [
        'retry',
        { policy: 'r', attempt: 1, delayMs: first, reason: classifyOpenAIError(httpError(500)) },
      ],
      [
        'retry',
        { policy: 'r', attempt: 2, delayMs: second, reason: classifyOpenAIError(httpError(503)) },
      ],
      ['success', { policy: 'r', attempts: 3, durationMs: (first ?? 0) + (second ?? 0) }],
    ]);
  });

  it('counts retries: maxRetries 2 makes at most 3 attempts, then gives up with max_retries', async () => {
    const policy = createPolicy({ name: 'r', retry: { ...RETRY, maxRetries: 2 } });
    const events = recordEvents(policy);
    const error = httpError(500);
    const fn = failing(error, error, error, error);
    const result = outcome(policy.execute(fn));
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ error });
    expect(fn).toHaveBeenCalledTimes(3);
    const reason = classifyOpenAIError(error);
    expect(events.slice(2)).toEqual([
      ['giveUp', { policy: 'r', attempts: 3, reason, why: 'max_retries' }],
      [
        'failure',
        { policy: 'r', attempts: 3, durationMs: jitterDelays(2).reduce((a, b) => a + b), reason },
      ],
    ]);
  });

  it('maxRetries 0 makes one attempt', async () => {
    const policy = createPolicy({ retry: { ...RETRY, maxRetries: 0 } });
    const fn = failing(httpError(500));
    expect(await outcome(policy.execute(fn))).toEqual({ error: expect.any(Error) });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('does not retry what the classification calls not retryable (a 400, quota)', async () => {
    const policy = createPolicy({ name: 'r', retry: RETRY });
    const events = recordEvents(policy);
    for (const error of [
      httpError(400, { code: 'context_length_exceeded' }),
      httpError(429, { code: 'insufficient_quota' }),
    ]) {
      const fn = failing(error);
      expect(await outcome(policy.execute(fn))).toEqual({ error });
      expect(fn).toHaveBeenCalledTimes(1);
    }
    expect(events.filter(([name]) => name === 'giveUp')).toEqual([
      [
        'giveUp',
        {
          policy: 'r',
          attempts: 1,
          reason: expect.objectContaining({ kind: 'context_length' }),
          why: 'not_retryable',
        },
      ],
      [
        'giveUp',
        {
          policy: 'r',
          attempts: 1,
          reason: expect.objectContaining({ kind: 'quota' }),
          why: 'not_retryable',
        },
      ],
    ]);
  });

  it('waits at least the server hint, even above maxDelayMs', async () => {
    const policy = createPolicy({ name: 'r', retry: { ...RETRY, maxDelayMs: 2_000 } });
    const events = recordEvents(policy);
    const fn = failing(httpError(429, { retryAfterMs: 7_500 }));
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(7_499);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toEqual({ value: 'ok' });
    expect(events[0]).toEqual(['retry', expect.objectContaining({ delayMs: 7_500 })]);
  });

  it('uses the jitter when it is longer than the hint', async () => {
    const policy = createPolicy({ retry: RETRY });
    const events = recordEvents(policy);
    const [jitter = 0] = jitterDelays(1);
    const result = outcome(policy.execute(failing(httpError(429, { retryAfterMs: 10 }))));
    await vi.runAllTimersAsync();
    await result;
    expect(events[0]).toEqual(['retry', expect.objectContaining({ delayMs: jitter })]);
    expect(jitter).toBeGreaterThan(10);
  });

  it('never waits longer than maxDelayMs without a hint', async () => {
    vi.mocked(Math.random).mockReturnValue(0.999);
    const options = { ...RETRY, maxRetries: 8, initialDelayMs: 500, maxDelayMs: 3_000 };
    const policy = createPolicy({ retry: options });
    const events = recordEvents(policy);
    const result = outcome(
      policy.execute(failing(...Array.from({ length: 8 }, () => httpError(500)))),
    );
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 'ok' });
    const delays = events
      .filter(([name]) => name === 'retry')
      .map(([, e]) => (e as { delayMs: number }).delayMs);
    expect(delays).toEqual(jitterDelays(8, options));
    expect(Math.max(...delays)).toBe(3_000);
  });

  it('gives up at once on a hint above maxRetryAfterMs', async () => {
    const policy = createPolicy({ name: 'r', retry: { ...RETRY, maxRetryAfterMs: 5_000 } });
    const events = recordEvents(policy);
    const error = httpError(503, { retryAfterMs: 5_001 });
    const fn = failing(error);
    expect(await outcome(policy.execute(fn))).toEqual({ error });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(events[0]).toEqual([
      'giveUp',
      { policy: 'r', attempts: 1, reason: classifyOpenAIError(error), why: 'retry_after_too_long' },
    ]);
  });

  it('does not start a retry whose wait would end after the total deadline', async () => {
    const policy = createPolicy({ name: 'r', retry: RETRY, timeout: { totalMs: 5_000 } });
    const events = recordEvents(policy);
    const late = httpError(503, { retryAfterMs: 4_000 });
    const fn = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      throw late;
    });
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await result).toEqual({ error: late });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(events).toEqual([
      ['giveUp', { policy: 'r', attempts: 1, reason: classifyOpenAIError(late), why: 'deadline' }],
      [
        'failure',
        { policy: 'r', attempts: 1, durationMs: 1_500, reason: classifyOpenAIError(late) },
      ],
    ]);
  });

  it('lets shouldRetry override the decision, with the classification and the error', async () => {
    const bad = httpError(400);
    const server = httpError(500);
    const shouldRetry = vi.fn(
      (classification: { kind: string }) => classification.kind === 'bad_request',
    );
    const policy = createPolicy({ retry: { ...RETRY, shouldRetry } });
    const fn = failing(bad, server);
    const result = outcome(policy.execute(fn));
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ error: server });
    expect(fn).toHaveBeenCalledTimes(2);
    expect(shouldRetry.mock.calls).toEqual([
      [classifyOpenAIError(bad), bad],
      [classifyOpenAIError(server), server],
    ]);
  });

  it('retries a timed-out attempt without the part of the backoff it spent waiting', async () => {
    const policy = createPolicy({ name: 'r', retry: RETRY, timeout: { attemptMs: 300 } });
    const events = recordEvents(policy);
    const fn = vi.fn(async ({ signal, attempt }: { signal: AbortSignal; attempt: number }) =>
      attempt === 1 ? hangUntilAborted(signal) : 'ok',
    );
    const [jitter = 0] = jitterDelays(1);
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(300);
    expect(events[1]).toEqual([
      'retry',
      expect.objectContaining({ attempt: 1, delayMs: jitter - 300 }),
    ]);
    await vi.advanceTimersByTimeAsync(jitter - 300);
    expect(await result).toEqual({ value: 'ok' });
  });

  it.each([
    ['without', false as const],
    ['with', { attemptMs: 1_000 }],
  ])(
    'starts no attempt after a retry listener aborted the call with no backoff, %s an attempt timeout',
    async (_, timeout) => {
      const policy = createPolicy({
        retry: { ...RETRY, initialDelayMs: 0, maxDelayMs: 0 },
        timeout,
      });
      const controller = new AbortController();
      policy.events.on('retry', () => controller.abort('enough'));
      const fn = vi.fn(() => Promise.reject(httpError(500)));
      expect(await outcome(policy.execute(fn, controller.signal))).toEqual({ error: 'enough' });
      await vi.advanceTimersByTimeAsync(0);
      expect(fn).toHaveBeenCalledTimes(1);
    },
  );

  it('with the rate-limit gate on, still backs off after a failure other than a 429', async () => {
    const policy = createPolicy({ retry: RETRY, rateLimit: {} });
    const events = recordEvents(policy);
    const fn = failing(httpError(500));
    const [first] = jitterDelays(1);
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync((first ?? 0) - 1);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toEqual({ value: 'ok' });
    expect(events.find(([name]) => name === 'retry')?.[1]).toMatchObject({ delayMs: first });
  });

  it('stops a backoff sleep at once when the caller aborts: no further attempt, no timer left', async () => {
    const policy = createPolicy({ name: 'r', retry: RETRY });
    const events = recordEvents(policy);
    const controller = new AbortController();
    const fn = failing(httpError(500));
    const result = outcome(policy.execute(fn, controller.signal));
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    const { error } = await result;
    expect(classifyOpenAIError(error).kind).toBe('aborted');
    expect(error).toBe(controller.signal.reason);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(events.map(([name]) => name)).toEqual(['retry', 'failure']);
  });

  it('retries a hint equal to maxRetryAfterMs', async () => {
    const policy = createPolicy({ retry: { ...RETRY, maxRetryAfterMs: 5_000 } });
    const events = recordEvents(policy);
    const result = outcome(policy.execute(failing(httpError(503, { retryAfterMs: 5_000 }))));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await result).toEqual({ value: 'ok' });
    expect(events[0]).toEqual(['retry', expect.objectContaining({ delayMs: 5_000 })]);
  });

  it('waits the whole backoff after a slow failure that was not a timeout', async () => {
    const policy = createPolicy({ retry: RETRY });
    const events = recordEvents(policy);
    const fn = vi.fn(async ({ attempt }: { attempt: number }) => {
      if (attempt > 1) return 'ok';
      await new Promise((resolve) => setTimeout(resolve, 300));
      throw httpError(500);
    });
    const [jitter = 0] = jitterDelays(1);
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(300);
    expect(events[0]).toEqual(['retry', expect.objectContaining({ attempt: 1, delayMs: jitter })]);
    await vi.advanceTimersByTimeAsync(jitter);
    expect(await result).toEqual({ value: 'ok' });
  });

  it('starts a retry whose wait ends exactly at the total deadline', async () => {
    const options = { ...RETRY, initialDelayMs: 100, maxDelayMs: 100 };
    const [delay = 0] = jitterDelays(1, options);
    const policy = createPolicy({ retry: options, timeout: { totalMs: 1_000 } });
    const events = recordEvents(policy);
    const fn = vi.fn(async ({ signal, attempt }: { signal: AbortSignal; attempt: number }) => {
      if (attempt > 1) return hangUntilAborted(signal);
      await new Promise((resolve) => setTimeout(resolve, 1_000 - delay));
      throw httpError(500);
    });
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(1_000 - delay);
    expect(events.map(([name]) => name)).toEqual(['retry']);
    await vi.advanceTimersByTimeAsync(delay);
    expect((await result).error).toMatchObject({ scope: 'total' });
    expect(events.some(([name]) => name === 'giveUp')).toBe(false);
  });

  it('leaves a BrokenCircuitError that is not its own open breaker’s to the classification (not retryable)', async () => {
    const refused = new BrokenCircuitError();
    const withoutBreaker = createPolicy({ name: 'r', retry: RETRY });
    const isolated = createPolicy({
      name: 'r',
      retry: RETRY,
      circuitBreaker: { consecutiveFailures: 1, halfOpenAfterMs: 1_000 },
    });
    isolated.circuitBreaker?.isolate();
    const closed = createPolicy({
      name: 'r',
      retry: RETRY,
      circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 1_000 },
    });
    for (const [policy, fn] of [
      [withoutBreaker, () => Promise.reject(refused)],
      [isolated, () => 'never'],
      [closed, () => Promise.reject(refused)],
    ] as const) {
      const events = recordEvents(policy);
      const { error } = await outcome(policy.execute(fn));
      expect(error).toBeInstanceOf(BrokenCircuitError);
      expect(events.map(([name]) => name)).toEqual(['giveUp', 'failure']);
      expect(events[0]?.[1]).toMatchObject({ attempts: 1, why: 'not_retryable' });
    }
  });

  it('waits for the trial of a breaker its failure opened, and counts a refusal of an open breaker as an attempt', async () => {
    const breaker = { consecutiveFailures: 1, halfOpenAfterMs: 10_000 };
    const recovering = createPolicy({
      name: 'r',
      retry: { ...RETRY, maxRetries: 2 },
      circuitBreaker: breaker,
    });
    const recoveringEvents = recordEvents(recovering);
    const fn = failing(httpError(500));
    const result = outcome(recovering.execute(fn));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toEqual({ value: 'ok' });
    // Attempt 2 is the breaker's trial: no attempt was spent on the open breaker.
    expect(fn.mock.calls.map(([context]) => context.attempt)).toEqual([1, 2]);
    expect(recoveringEvents.filter(([name]) => name === 'retry')).toEqual([
      [
        'retry',
        { policy: 'r', attempt: 1, delayMs: 10_000, reason: classifyOpenAIError(httpError(500)) },
      ],
    ]);

    // The wait for the trial would pass the deadline: the call fails at once, with its error.
    const late = createPolicy({
      name: 'r',
      retry: { ...RETRY, maxRetries: 1 },
      timeout: { totalMs: 5_000 },
      circuitBreaker: breaker,
    });
    const events = recordEvents(late);
    const error = httpError(500);
    const once = failing(error);
    expect(await outcome(late.execute(once))).toEqual({ error });
    expect(once).toHaveBeenCalledTimes(1);
    expect(events.find(([name]) => name === 'giveUp')).toEqual([
      'giveUp',
      { policy: 'r', attempts: 1, reason: classifyOpenAIError(error), why: 'deadline' },
    ]);

    // A call that finds the breaker open: its refused attempt counts toward maxRetries.
    const none = createPolicy({
      name: 'n',
      retry: { ...RETRY, maxRetries: 0 },
      circuitBreaker: breaker,
    });
    const noneEvents = recordEvents(none);
    await outcome(none.execute(failing(httpError(500))));
    const refused = vi.fn(() => 'ok');
    expect((await outcome(none.execute(refused))).error).toBeInstanceOf(BrokenCircuitError);
    expect(refused).not.toHaveBeenCalled();
    expect(noneEvents.filter(([name]) => name === 'giveUp').at(-1)).toEqual([
      'giveUp',
      {
        policy: 'n',
        attempts: 1,
        reason: classifyOpenAIError(new BrokenCircuitError()),
        why: 'max_retries',
      },
    ]);
  });

  it('makes a retry the budget grants with a promise', async () => {
    const store: RetryBudgetStore = {
      deposit: () => undefined,
      tryWithdraw: vi.fn(() => Promise.resolve(true)),
    };
    const policy = createPolicy({ retry: RETRY, retryBudget: store });
    const fn = failing(httpError(500));
    const result = outcome(policy.execute(fn));
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 'ok' });
    expect(fn).toHaveBeenCalledTimes(2);
    expect(store.tryWithdraw).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['grants', true],
    ['refuses', false],
  ])(
    'rejects with the caller’s abort that came while the budget %s the retry, reporting neither retry nor giveUp',
    async (_, granted) => {
      const controller = new AbortController();
      const store: RetryBudgetStore = {
        deposit: () => undefined,
        tryWithdraw: () => {
          controller.abort(new Error('caller gave up'));
          return Promise.resolve(granted);
        },
      };
      const policy = createPolicy({ retry: RETRY, retryBudget: store });
      const events = recordEvents(policy);
      const fn = failing(httpError(500));
      const result = outcome(policy.execute(fn, controller.signal));
      await vi.runAllTimersAsync();
      expect(await result).toEqual({ error: new Error('caller gave up') });
      expect(fn).toHaveBeenCalledTimes(1);
      expect(events.map(([name]) => name)).toEqual(['failure']);
    },
  );

  it('backs off after a hedge round whose last failure is not a 429, though a 429 of the round closed the gate', async () => {
    const policy = createPolicy({
      name: 'r',
      retry: RETRY,
      rateLimit: { backoffMs: 5_000 },
      hedge: { delayMs: 100 },
    });
    const events = recordEvents(policy);
    const fn = vi.fn(async ({ attempt }: { attempt: number }) => {
      if (attempt > 2) return 'ok';
      await new Promise((resolve) => setTimeout(resolve, attempt === 1 ? 150 : 100));
      throw httpError(attempt === 1 ? 429 : 500);
    });
    const [jitter] = jitterDelays(1);
    const result = outcome(policy.execute(fn));
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 'ok' });
    expect(events.filter(([name]) => name === 'retry')).toEqual([
      [
        'retry',
        { policy: 'r', attempt: 2, delayMs: jitter, reason: classifyOpenAIError(httpError(500)) },
      ],
    ]);
  });
});

describe('retry stage with a store and a retry budget', () => {
  it('sends the way out of a hedge attempt that ends after the round was won', async () => {
    // The first attempt is the fleet's half-open trial: its way out frees the trial.
    const { store, left } = listedStore({ ...CLOSED, breaker: 'probe' });
    const policy = createPolicy({
      store,
      retry: RETRY,
      retryBudget: {},
      rateLimit: {},
      circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 1_000 },
      hedge: { delayMs: 100 },
    });
    const fn = vi.fn(
      ({ signal, attempt }: { signal: AbortSignal; attempt: number }) =>
        new Promise((resolve, reject) => {
          if (attempt === 2) resolve('ok');
          // The request takes a while to end once aborted.
          signal.addEventListener('abort', () =>
            setTimeout(() => reject(new APIUserAbortError()), 10),
          );
        }),
    );
    const result = outcome(policy.execute(fn));
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 'ok' });
    const breakerOutcomes = left.flatMap(({ breaker }) =>
      breaker === undefined ? [] : [[breaker.outcome, breaker.probe]],
    );
    expect(breakerOutcomes).toEqual([
      ['success', false],
      ['none', true],
    ]);
  });

  it('sends the failed attempt’s way out before it reports giveUp', async () => {
    const { store, left } = listedStore();
    const policy = createPolicy({ store, retry: RETRY, retryBudget: {}, rateLimit: {} });
    const heard: number[] = [];
    policy.events.on('giveUp', () => heard.push(left.length));
    const error = httpError(400);
    expect(await outcome(policy.execute(failing(error)))).toEqual({ error });
    expect(heard).toEqual([1]);
    expect(left[0]?.gate?.outcome).toBe('answered');
    await vi.runAllTimersAsync();
  });
});
