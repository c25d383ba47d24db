import { wrap } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/index.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { llmCircuitBreaker } from '../../src/pipeline/llmCircuitBreaker.js';
import { llmRetry } from '../../src/pipeline/llmRetry.js';
import type { RetryOptions } from '../../src/pipeline/options.js';
import { RetryBudget, type RetryBudgetStore } from '../../src/pipeline/RetryBudget.js';
import { rateLimitGate } from '../../src/pipeline/rateLimitGate.js';
import { CHAT_POLICY_DEFAULTS, createChatPolicy } from '../../src/policies/chat.js';
import { mergePolicyOptions } from '../../src/policies/mergePolicyOptions.js';
import { httpError, outcome, recordEvents, useFakeClock } from '../support/pipeline.js';

const RETRY: RetryOptions = {
  maxRetries: 3,
  initialDelayMs: 100,
  maxDelayMs: 100,
  maxRetryAfterMs: 60_000,
};

/** A function that fails with a 500 `failures` times, then resolves with `'ok'`. */
function failingTimes(failures: number, status = 500) {
  let left = failures;
  return vi.fn(async () => {
    if (left-- > 0) throw httpError(status);
    return 'ok';
  });
}

/** A store that counts what the retry stage asks of it and grants `grants` retries. */
function countingStore(grants: number): RetryBudgetStore & { calls: number; asked: number } {
  return {
    calls: 0,
    asked: 0,
    deposit() {
      this.calls++;
    },
    tryWithdraw() {
      this.asked++;
      return this.asked <= grants;
    },
  };
}

useFakeClock();

describe('retry budget in the retry stage', () => {
  it('does not make a retry the budget has no room for: giveUp retry_budget, the attempt’s error', async () => {
    // No reserve, 50% of the calls: two calls leave room for one retry.
    const policy = createPolicy({
      name: 'b',
      retry: RETRY,
      retryBudget: { percent: 50, minPerSec: 0 },
    });
    const events = recordEvents(policy);
    const first = outcome(policy.execute(failingTimes(1)));
    const second = outcome(policy.execute(failingTimes(1, 503)));
    await vi.runAllTimersAsync();
    expect(await first).toEqual({ value: 'ok' });
    const { error } = await second;
    expect(classifyOpenAIError(error)).toMatchObject({ kind: 'overloaded', status: 503 });
    expect(events.filter(([name]) => name === 'giveUp')).toEqual([
      [
        'giveUp',
        {
          policy: 'b',
          attempts: 1,
          why: 'retry_budget',
          reason: expect.objectContaining({ kind: 'overloaded', status: 503 }),
        },
      ],
    ]);
    expect(events.filter(([name]) => name === 'retry')).toHaveLength(1);
  });

  it('gives one lone failure in quiet traffic all its retries, with the preset', async () => {
    const policy = createChatPolicy({ circuitBreaker: false });
    const events = recordEvents(policy);
    const fn = failingTimes(4);
    const result = outcome(policy.execute(fn));
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 'ok' });
    expect(fn).toHaveBeenCalledTimes(5);
    expect(events.filter(([name]) => name === 'retry')).toHaveLength(4);
  });

  it('keeps giving quiet traffic its retries, call after call, at one call a second', async () => {
    const policy = createChatPolicy({ circuitBreaker: false });
    const events = recordEvents(policy);
    for (let i = 0; i < 60; i++) {
      const fn = failingTimes(2);
      const result = outcome(policy.execute(fn));
      await vi.advanceTimersByTimeAsync(1_000);
      await vi.runAllTimersAsync();
      expect(await result).toEqual({ value: 'ok' });
    }
    expect(events.some(([name]) => name === 'giveUp')).toBe(false);
  });

  it('bounds a storm of failures to percent of the calls plus the reserve', async () => {
    const policy = createPolicy({
      retry: { ...RETRY, maxRetries: 4 },
      retryBudget: { percent: 20, minPerSec: 1, windowMs: 10_000 },
    });
    const events = recordEvents(policy);
    const fns = Array.from({ length: 100 }, () => failingTimes(Number.POSITIVE_INFINITY));
    const results = fns.map((fn) => outcome(policy.execute(fn)));
    await vi.runAllTimersAsync();
    await Promise.all(results);
    const attempts = fns.reduce((sum, fn) => sum + fn.mock.calls.length, 0);
    // 20% of 100 calls plus 1 a second over 10 s: 30 retries, where 400 were wanted.
    expect(attempts - 100).toBe(30);
    // None got its 4 retries: every call gave up for the budget.
    expect(events.filter(([, e]) => (e as { why?: string }).why === 'retry_budget')).toHaveLength(
      100,
    );
  });

  it('lets retries held by the rate-limit gate after a 429 through without spending the budget', async () => {
    const store = countingStore(0);
    const policy = createPolicy({ retry: RETRY, rateLimit: {}, retryBudget: store });
    const fn = failingTimes(2, 429);
    const result = outcome(policy.execute(fn));
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 'ok' });
    expect(fn).toHaveBeenCalledTimes(3);
    expect(store).toMatchObject({ calls: 1, asked: 0 });
  });

  it('spends the budget on a 429 retry when no gate holds it', async () => {
    const store = countingStore(0);
    const policy = createPolicy({ retry: RETRY, retryBudget: store });
    const events = recordEvents(policy);
    const { error } = await outcome(policy.execute(failingTimes(1, 429)));
    expect(classifyOpenAIError(error).kind).toBe('rate_limit');
    expect(store).toMatchObject({ calls: 1, asked: 1 });
    expect(events.find(([name]) => name === 'giveUp')?.[1]).toMatchObject({ why: 'retry_budget' });
  });

  it('lets a retry wait for an open breaker without spending the budget', async () => {
    const store = countingStore(2);
    const policy = createPolicy({
      retry: { ...RETRY, maxRetries: 4 },
      circuitBreaker: { consecutiveFailures: 1, halfOpenAfterMs: 1_000 },
      retryBudget: store,
    });
    // Each failure opens the breaker; each retry it refuses waits for the half-open trial.
    const fn = failingTimes(2);
    const result = outcome(policy.execute(fn));
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 'ok' });
    expect(fn).toHaveBeenCalledTimes(3);
    // Five attempts: two failures asked the budget, the breaker's two refusals did not.
    expect(store.asked).toBe(2);
  });

  it('waits for a store that answers with a promise, and makes the retry when it rejects', async () => {
    const answers = [() => Promise.resolve(false), () => Promise.reject(new Error('down'))];
    const store: RetryBudgetStore = {
      deposit: vi.fn(),
      tryWithdraw: vi.fn(() => answers.shift()?.() ?? true),
    };
    const policy = createPolicy({ retry: RETRY, retryBudget: store });
    const events = recordEvents(policy);
    const refused = await outcome(policy.execute(failingTimes(1)));
    expect(classifyOpenAIError(refused.error).kind).toBe('server');
    expect(events.find(([name]) => name === 'giveUp')?.[1]).toMatchObject({ why: 'retry_budget' });
    const made = outcome(policy.execute(failingTimes(1)));
    await vi.runAllTimersAsync();
    expect(await made).toEqual({ value: 'ok' });
    expect(store.deposit).toHaveBeenCalledTimes(2);
  });

  it('rejects with the caller’s abort that came while an async store was answering', async () => {
    const controller = new AbortController();
    const store: RetryBudgetStore = {
      deposit: () => undefined,
      tryWithdraw: () =>
        new Promise<boolean>((resolve) => {
          controller.abort(new Error('caller gave up'));
          setTimeout(() => resolve(true), 10);
        }),
    };
    const fn = failingTimes(1);
    const policy = createPolicy({ retry: RETRY, retryBudget: store });
    const result = outcome(policy.execute(fn, controller.signal));
    await vi.runAllTimersAsync();
    expect((await result).error).toEqual(new Error('caller gave up'));
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('makes the call and its retry when the store throws', async () => {
    const store: RetryBudgetStore = {
      deposit: () => {
        throw new Error('store down');
      },
      tryWithdraw: () => {
        throw new Error('store down');
      },
    };
    const result = outcome(
      createPolicy({ retry: RETRY, retryBudget: store }).execute(failingTimes(1)),
    );
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 'ok' });
  });

  it('is llmRetry’s budget option in a wrap() of your own, and one RetryBudget serves two stages', async () => {
    const shared = new RetryBudget({ percent: 0, minPerSec: 0.1, windowMs: 10_000 });
    const a = wrap(llmRetry({ ...RETRY, budget: shared }), rateLimitGate(), llmCircuitBreaker());
    const b = llmRetry({ ...RETRY, budget: shared });
    const events = recordEvents(b);
    const first = outcome(a.execute(failingTimes(1)));
    await vi.runAllTimersAsync();
    expect(await first).toEqual({ value: 'ok' });
    const { error } = await outcome(b.execute(failingTimes(1)));
    expect(classifyOpenAIError(error).kind).toBe('server');
    expect(events.find(([name]) => name === 'giveUp')?.[1]).toMatchObject({ why: 'retry_budget' });
    expect(llmRetry({ budget: {} }).budget).toBeInstanceOf(RetryBudget);
    expect(llmRetry().budget).toBeUndefined();
    expect(b.budget).toBe(shared);
  });

  it('has no effect with retryBudget: false, or without a retry stage', async () => {
    const fn = failingTimes(3);
    const off = createChatPolicy({ retryBudget: false, retry: RETRY });
    const result = outcome(off.execute(fn));
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 'ok' });
    const alone = createPolicy({ retryBudget: { percent: 0, minPerSec: 0 } });
    expect((await outcome(alone.execute(failingTimes(1)))).error).toBeDefined();
  });

  it('refuses a bad budget with the option path and the value', () => {
    expect(() => createPolicy({ retry: RETRY, retryBudget: { percent: -5 } })).toThrow(
      new TypeError('retryBudget.percent must be a finite number >= 0, got -5'),
    );
    expect(() => createPolicy({ retryBudget: true as never })).toThrow(
      new TypeError('retryBudget must be an object, a RetryBudgetStore or false, got true'),
    );
    expect(() =>
      createPolicy({ retryBudget: { tryWithdraw: () => true, deposit: 1 } as never }),
    ).toThrow(new TypeError('retryBudget.deposit must be a function, got 1'));
    expect(() =>
      createChatPolicy({ retryBudget: { minPerSec: Number.POSITIVE_INFINITY } }),
    ).toThrow(new TypeError('retryBudget.minPerSec must be a finite number >= 0, got Infinity'));
    expect(() => llmRetry({ budget: { windowMs: -1 } })).toThrow(
      /^retry\.budget\.windowMs must be a number of milliseconds > 0 and <= 2147483647, got -1$/,
    );
    expect(() => llmRetry({ budget: { percnt: 20 } as never })).toThrow(
      /^retry\.budget\.percnt is not a retry budget option \(known: percent, minPerSec, windowMs\), got 20$/,
    );
  });

  it('merges a preset override field by field, and takes a store whole', async () => {
    expect(
      mergePolicyOptions(CHAT_POLICY_DEFAULTS, { retryBudget: { percent: 10 } }),
    ).toMatchObject({ retryBudget: { percent: 10, minPerSec: 10, windowMs: 10_000 } });
    const store = countingStore(0);
    expect(mergePolicyOptions(CHAT_POLICY_DEFAULTS, { retryBudget: store }).retryBudget).toBe(
      store,
    );
    const policy = createChatPolicy({ retryBudget: store, circuitBreaker: false });
    const { error } = await outcome(policy.execute(failingTimes(1)));
    expect(classifyOpenAIError(error).kind).toBe('server');
    expect(store).toMatchObject({ calls: 1, asked: 1 });
  });
});
