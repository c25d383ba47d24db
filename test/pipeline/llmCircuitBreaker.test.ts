import { BrokenCircuitError, IsolatedCircuitError } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/index.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { llmCircuitBreaker } from '../../src/pipeline/llmCircuitBreaker.js';
import {
  hangUntilAborted,
  httpError,
  outcome,
  recordEvents,
  useFakeClock,
} from '../support/pipeline.js';

const BREAKER = { consecutiveFailures: 3, halfOpenAfterMs: 1_000, maxHalfOpenAfterMs: 3_000 };
const RETRY = { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 100, maxRetryAfterMs: 60_000 };

useFakeClock();

async function failTimes(policy: ReturnType<typeof createPolicy>, count: number, error: unknown) {
  for (let i = 0; i < count; i++) {
    expect(await outcome(policy.execute(() => Promise.reject(error)))).toEqual({ error });
  }
}

describe('circuit breaker stage', () => {
  it('opens after consecutive breaker failures, fails fast, then half-opens and resets', async () => {
    const policy = createPolicy({ name: 'b', circuitBreaker: BREAKER });
    const events = recordEvents(policy);
    const error = httpError(500);
    await failTimes(policy, 2, error);
    expect(policy.circuitState).toBe('closed');
    await failTimes(policy, 1, error);
    expect(policy.circuitState).toBe('open');
    const fn = vi.fn(() => 'ok');
    const fast = await outcome(policy.execute(fn));
    expect(fast.error).toBeInstanceOf(BrokenCircuitError);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await policy.execute(fn)).toBe('ok');
    expect(policy.circuitState).toBe('closed');
    expect(events.filter(([name]) => !['failure', 'success'].includes(name))).toEqual([
      ['break', { policy: 'b', reason: classifyOpenAIError(error), openMs: 1_000 }],
      ['halfOpen', { policy: 'b' }],
      ['reset', { policy: 'b' }],
    ]);
    expect(events.find(([name]) => name === 'failure' && fast.error)).toBeDefined();
  });

  it('never opens on 400s, 429s, quota errors or caller aborts', async () => {
    const policy = createPolicy({ circuitBreaker: { ...BREAKER, consecutiveFailures: 1 } });
    await failTimes(policy, 3, httpError(400));
    await failTimes(policy, 3, httpError(429, { retryAfterMs: 10 }));
    await failTimes(policy, 3, httpError(429, { code: 'insufficient_quota' }));
    for (let i = 0; i < 3; i++) {
      const controller = new AbortController();
      const call = outcome(
        policy.execute(({ signal }) => hangUntilAborted(signal), controller.signal),
      );
      controller.abort();
      expect(classifyOpenAIError((await call).error).kind).toBe('aborted');
    }
    expect(policy.circuitState).toBe('closed');
  });

  it('stays open longer on each consecutive opening, up to maxHalfOpenAfterMs', async () => {
    const policy = createPolicy({ name: 'b', circuitBreaker: BREAKER });
    const events = recordEvents(policy);
    const error = httpError(500);
    await failTimes(policy, 3, error);
    for (const wait of [1_000, 2_000, 3_000]) {
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect((await outcome(policy.execute(() => 'ok'))).error).toBeInstanceOf(BrokenCircuitError);
      await vi.advanceTimersByTimeAsync(1);
      await failTimes(policy, 1, error); // the trial call fails
    }
    expect(
      events.filter(([name]) => name === 'break').map(([, e]) => (e as { openMs: number }).openMs),
    ).toEqual([1_000, 2_000, 3_000, 3_000]);
  });

  it('stays open at least as long as the server hint of the failure that opened it', async () => {
    const policy = createPolicy({ name: 'b', circuitBreaker: BREAKER });
    const events = recordEvents(policy);
    const hinted = httpError(503, { retryAfterMs: 5_000 });
    await failTimes(policy, 2, httpError(500));
    await failTimes(policy, 1, hinted);
    expect(events.find(([name]) => name === 'break')).toEqual([
      'break',
      { policy: 'b', reason: classifyOpenAIError(hinted), openMs: 5_000 },
    ]);
    await vi.advanceTimersByTimeAsync(4_999);
    expect((await outcome(policy.execute(() => 'ok'))).error).toBeInstanceOf(BrokenCircuitError);
    await vi.advanceTimersByTimeAsync(1);
    expect(await policy.execute(() => 'ok')).toBe('ok');
  });

  it('with a sampling breaker, opens when the failure ratio is exceeded over enough calls', async () => {
    const policy = createPolicy({
      circuitBreaker: {
        failureRatio: 0.5,
        minimumCalls: 4,
        samplingMs: 10_000,
        halfOpenAfterMs: 1_000,
      },
    });
    const error = httpError(502);
    await policy.execute(() => 'ok');
    await failTimes(policy, 2, error); // 2 of 3 failed, but fewer than 4 calls
    expect(policy.circuitState).toBe('closed');
    await policy.execute(() => 'ok'); // 2 of 4: not above half
    await failTimes(policy, 1, error); // 3 of 5
    expect(policy.circuitState).toBe('open');
  });

  it('the retry stage waits for the half-open time instead of failing, without calling the function', async () => {
    const policy = createPolicy({
      name: 'b',
      retry: RETRY,
      circuitBreaker: { ...BREAKER, consecutiveFailures: 1 },
    });
    const events = recordEvents(policy);
    const error = httpError(500);
    const first = outcome(
      policy.execute(vi.fn().mockRejectedValueOnce(error).mockResolvedValue('ok')),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(policy.circuitState).toBe('open');
    await vi.advanceTimersByTimeAsync(300);
    const fn = vi.fn(() => 'later');
    const second = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(0);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(699);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(await first).toEqual({ value: 'ok' });
    expect(await second).toEqual({ value: 'later' });
    const retries = events.filter(([name]) => name === 'retry').map(([, e]) => e);
    const broken = classifyOpenAIError(new BrokenCircuitError());
    expect(retries).toEqual([
      // The failure that opened the breaker waits for its trial: no attempt is spent on it.
      { policy: 'b', attempt: 1, delayMs: 1_000, reason: classifyOpenAIError(error) },
      { policy: 'b', attempt: 1, delayMs: 700, reason: broken }, // refused, waits
    ]);
    expect(events.filter(([name]) => name === 'success').map(([, e]) => e)).toEqual([
      expect.objectContaining({ attempts: 2 }),
      expect.objectContaining({ attempts: 2 }),
    ]);
  });

  it('rejects with BrokenCircuitError without calling the function when no retry or deadline allows the wait', async () => {
    const breaker = { consecutiveFailures: 1, halfOpenAfterMs: 5_000 };
    const noRetry = createPolicy({ circuitBreaker: breaker });
    const tight = createPolicy({
      name: 'b',
      retry: RETRY,
      timeout: { totalMs: 2_000 },
      circuitBreaker: breaker,
    });
    const events = recordEvents(tight);
    for (const policy of [noRetry, tight]) {
      const opening = outcome(policy.execute(() => Promise.reject(httpError(500))));
      await vi.runAllTimersAsync();
      await opening;
      expect(policy.circuitState).toBe('open');
      const fn = vi.fn(() => 'ok');
      const { error } = await outcome(policy.execute(fn));
      expect(error).toBeInstanceOf(BrokenCircuitError);
      expect(fn).not.toHaveBeenCalled();
    }
    expect(events.filter(([name]) => name === 'giveUp').at(-1)).toEqual([
      'giveUp',
      {
        policy: 'b',
        attempts: 1,
        reason: classifyOpenAIError(new BrokenCircuitError()),
        why: 'deadline',
      },
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports an isolate() after an earlier opening without that opening’s reason', async () => {
    const policy = createPolicy({
      name: 'b',
      circuitBreaker: { consecutiveFailures: 1, halfOpenAfterMs: 1_000 },
    });
    const events = recordEvents(policy);
    await failTimes(policy, 1, httpError(500));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await policy.execute(() => 'ok')).toBe('ok');
    policy.circuitBreaker?.isolate();
    expect(events.filter(([name]) => name === 'break')).toEqual([
      ['break', { policy: 'b', reason: classifyOpenAIError(httpError(500)), openMs: 1_000 }],
      ['break', { policy: 'b' }],
    ]);
  });

  it('exposes the cockatiel breaker: isolate() holds it open', async () => {
    const policy = createPolicy({ name: 'b', circuitBreaker: BREAKER });
    const events = recordEvents(policy);
    const handle = policy.circuitBreaker?.isolate();
    expect(policy.circuitState).toBe('isolated');
    expect((await outcome(policy.execute(() => 'ok'))).error).toBeInstanceOf(IsolatedCircuitError);
    handle?.dispose();
    expect(policy.circuitState).toBe('closed');
    expect(events.slice(0, 1)).toEqual([['break', { policy: 'b' }]]);
    expect(createPolicy({}).circuitState).toBe('closed');
    expect(createPolicy({}).circuitBreaker).toBeUndefined();
  });
});

describe('circuit breaker stage: a call waiting on the half-open trial', () => {
  it('is retried when the breaker half-opens again if the trial fails, not given up', async () => {
    const policy = createPolicy({
      name: 'b',
      retry: RETRY,
      circuitBreaker: { consecutiveFailures: 1, halfOpenAfterMs: 1_000 },
    });
    const events = recordEvents(policy);
    // Opens the breaker at once, waits for it, and is its half-open trial at 1 s, failing at 1.1 s.
    const opener = outcome(
      policy.execute(
        ({ attempt }) =>
          new Promise((_resolve, reject) => {
            setTimeout(() => reject(httpError(500)), attempt === 2 ? 100 : 0);
          }),
      ),
    );
    await vi.advanceTimersByTimeAsync(1_010);
    expect(policy.circuitState).toBe('halfOpen');
    // Arrives during the trial: waits for its outcome, is refused, and waits for the next trial.
    const waiting = outcome(policy.execute(() => 'answered'));
    await vi.advanceTimersByTimeAsync(90);
    expect(policy.circuitState).toBe('open');
    const retries = events.filter(([name]) => name === 'retry').map(([, e]) => e);
    expect(retries.at(-1)).toMatchObject({
      attempt: 1,
      delayMs: 1_000,
      reason: { kind: 'aborted' },
    });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await waiting).toEqual({ value: 'answered' });
    expect((await opener).error).toBeDefined();
  });
});

describe('llmCircuitBreaker options', () => {
  it('names the stage and the option in the message for a bad one', () => {
    expect(() => llmCircuitBreaker(null as never)).toThrow(
      new TypeError('circuitBreaker must be an object, got null'),
    );
    expect(() => llmCircuitBreaker({ store: {} as never })).toThrow(
      new TypeError(
        'circuitBreaker.store must be a PolicyStore (createRedisStore() of llm-resilience/redis), got an object',
      ),
    );
  });

  it('takes any one sampling option for a sampling breaker, asking for the others', () => {
    expect(() => llmCircuitBreaker({ failureRatio: 0.5 } as never)).toThrow(
      new TypeError('circuitBreaker.minimumCalls must be an integer >= 1, got undefined'),
    );
    const noRatio = new TypeError(
      'circuitBreaker.failureRatio must be a number between 0 and 1 (exclusive), got undefined',
    );
    expect(() => llmCircuitBreaker({ minimumCalls: 4 } as never)).toThrow(noRatio);
    expect(() => llmCircuitBreaker({ samplingMs: 10_000 } as never)).toThrow(noRatio);
  });
});
