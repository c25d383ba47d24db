import { describe, expect, it, vi } from 'vitest';
import { hedge } from '../../src/pipeline/hedge.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { llmRetry } from '../../src/pipeline/llmRetry.js';
import { llmTimeout } from '../../src/pipeline/llmTimeout.js';
import { rateLimitGate } from '../../src/pipeline/rateLimitGate.js';
import { RateLimitHoldError } from '../../src/rateLimit/RateLimitHoldError.js';
import { httpError, outcome, recordEvents, useFakeClock } from '../support/pipeline.js';

useFakeClock();

describe('stage options', () => {
  it('names the stage in the message for options that are not an object', () => {
    expect(() => hedge(null as never)).toThrow(new TypeError('hedge must be an object, got null'));
    expect(() => llmRetry(null as never)).toThrow(
      new TypeError('retry must be an object, got null'),
    );
    expect(() => rateLimitGate(7 as never)).toThrow(
      new TypeError('rateLimit must be an object, got 7'),
    );
  });

  it('refuses a timeout stage with no limit, two limits or an unknown option', () => {
    expect(() => llmTimeout({} as never)).toThrow(
      new TypeError(
        'timeout must be exactly one of attemptMs, totalMs and firstTokenMs, got an object',
      ),
    );
    expect(() => llmTimeout({ attemptMs: 1, totalMs: 2 } as never)).toThrow(
      /^timeout must be exactly one of attemptMs, totalMs and firstTokenMs, got /,
    );
    expect(() => llmTimeout({ attemptMs: 1, idleMs: 2 } as never)).toThrow(
      /^timeout\.idleMs is not a timeout option \(known: attemptMs, totalMs, firstTokenMs\), got 2$/,
    );
  });

  it('hands the function the call signal when its limit is Infinity', async () => {
    const fn = vi.fn(({ signal }: { signal: AbortSignal }) => signal.aborted);
    await expect(llmTimeout({ attemptMs: Number.POSITIVE_INFINITY }).execute(fn)).resolves.toBe(
      false,
    );
    expect(fn.mock.calls[0]?.[0].signal).toBeInstanceOf(AbortSignal);
  });
});

describe('execute maxWaitMs', () => {
  const RETRY = { maxRetries: 1, initialDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 60_000 };

  it('retries when the wait equals maxWaitMs, gives up when it is longer', async () => {
    const policy = createPolicy({ retry: RETRY });
    const events = recordEvents(policy);
    const equal = vi
      .fn()
      .mockRejectedValueOnce(httpError(500, { retryAfterMs: 300 }))
      .mockResolvedValue('ok');
    const first = outcome(policy.execute(equal, { maxWaitMs: 300 }));
    await vi.runAllTimersAsync();
    expect(await first).toEqual({ value: 'ok' });
    const longer = vi.fn().mockRejectedValue(httpError(500, { retryAfterMs: 301 }));
    const second = outcome(policy.execute(longer, { maxWaitMs: 300 }));
    await vi.runAllTimersAsync();
    expect((await second).error).toBeDefined();
    expect(longer).toHaveBeenCalledTimes(1);
    expect(events.find(([name]) => name === 'giveUp')?.[1]).toMatchObject({
      why: 'wait_too_long',
    });
  });

  it('fails a call at once, without a request, when it will not wait for the closed gate', async () => {
    const policy = createPolicy({ rateLimit: {} });
    const limited = httpError(429, { retryAfterMs: 1_000 });
    await expect(policy.execute(() => Promise.reject(limited))).rejects.toBe(limited);
    const fn = vi.fn(() => 'ok');
    await vi.advanceTimersByTimeAsync(500);
    // 500 ms left: a call that waits up to 499 ms fails at once, one that waits 500 ms goes.
    await expect(policy.execute(fn, { maxWaitMs: 499 })).rejects.toMatchObject({
      name: 'RateLimitHoldError',
      waitMs: 500,
      maxWaitMs: 499,
    });
    expect(fn).not.toHaveBeenCalled();
    const patient = outcome(policy.execute(fn, { maxWaitMs: 500 }));
    await vi.advanceTimersByTimeAsync(500);
    expect(await patient).toEqual({ value: 'ok' });
    // Once the gate has reopened, a call that will not wait goes at once.
    await expect(policy.execute(fn, { maxWaitMs: 0 })).resolves.toBe('ok');
  });

  it('gives up at once, as wait_too_long, on a 429 whose wait the call will not take', async () => {
    const policy = createPolicy({ retry: { ...RETRY, maxRetries: 2 }, rateLimit: {} });
    const events = recordEvents(policy);
    const limited = httpError(429, { retryAfterMs: 1_000 });
    await outcome(policy.execute(() => Promise.reject(limited), { maxWaitMs: 0 }));
    expect(events.find(([name]) => name === 'giveUp')?.[1]).toMatchObject({
      why: 'wait_too_long',
    });
    expect(events.some(([name]) => name === 'retry')).toBe(false);
  });
});

describe('attempt events', () => {
  it('measure each attempt from its start', async () => {
    const policy = createPolicy({
      retry: { maxRetries: 1, initialDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 1 },
    });
    const durations: number[] = [];
    policy.events.on('attempt', (e) => durations.push(e.durationMs));
    const fn = vi
      .fn()
      .mockImplementationOnce(
        () => new Promise((_, reject) => setTimeout(() => reject(httpError(500)), 100)),
      )
      .mockImplementationOnce(() => new Promise((resolve) => setTimeout(resolve, 40, 'ok')));
    const result = outcome(policy.execute(fn));
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 'ok' });
    expect(durations).toEqual([100, 40]);
  });
});

describe('a call refused at the closed gate', () => {
  it('gives up as wait_too_long without a retry, whatever its backoff', async () => {
    const policy = createPolicy({
      retry: { maxRetries: 3, initialDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 60_000 },
      rateLimit: {},
    });
    // No hint: the gate closes for its own backoff, which only the gate's hold tells the retry.
    const limited = httpError(429);
    await outcome(policy.execute(() => Promise.reject(limited), { maxWaitMs: 0 }));
    const events = recordEvents(policy);
    const fn = vi.fn(() => 'ok');
    await expect(policy.execute(fn, { maxWaitMs: 100 })).rejects.toBeInstanceOf(RateLimitHoldError);
    expect(fn).not.toHaveBeenCalled();
    expect(events.filter(([name]) => name === 'retry' || name === 'giveUp')).toEqual([
      ['giveUp', expect.objectContaining({ why: 'wait_too_long', attempts: 1 })],
    ]);
    await vi.runAllTimersAsync();
  });
});
