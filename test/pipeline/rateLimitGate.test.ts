import { APIUserAbortError } from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError, TimeoutError } from '../../src/errors/index.js';
import { CallRecord } from '../../src/pipeline/callRecord.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { rateLimitGate } from '../../src/pipeline/rateLimitGate.js';
import { RateLimitBudgetError } from '../../src/rateLimit/index.js';
import {
  httpError,
  learnPaceThrough,
  outcome,
  recordEvents,
  useFakeClock,
} from '../support/pipeline.js';

const RETRY = { maxRetries: 1, initialDelayMs: 100, maxDelayMs: 100, maxRetryAfterMs: 60_000 };

useFakeClock();

describe('rate-limit stage', () => {
  it('after a 429 the gate holds the retry and every new call for the hint; no sleep of its own', async () => {
    const policy = createPolicy({ name: 'g', retry: RETRY, rateLimit: {} });
    const events = recordEvents(policy);
    const limited = httpError(429, { retryAfterMs: 2_000 });
    const fn = vi.fn().mockRejectedValueOnce(limited).mockResolvedValue('ok');
    const first = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(0);
    const other = vi.fn(() => 'other');
    const second = outcome(policy.execute(other));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(other).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(await first).toEqual({ value: 'ok' });
    await vi.runAllTimersAsync();
    expect(await second).toEqual({ value: 'other' });
    const reason = classifyOpenAIError(limited);
    expect(events.filter(([name]) => name !== 'paced').slice(0, 2)).toEqual([
      ['rateLimited', { policy: 'g', waitMs: 2_000, reason }],
      ['retry', { policy: 'g', attempt: 1, delayMs: 2_000, reason }],
    ]);
    // Both go when the gate reopens, in either order.
    const successes = events.filter(([name]) => name === 'success').map(([, e]) => e);
    expect(successes).toHaveLength(2);
    expect(successes).toEqual(
      expect.arrayContaining([
        { policy: 'g', attempts: 2, durationMs: 2_000 },
        { policy: 'g', attempts: 1, durationMs: 2_000 },
      ]),
    );
  });

  it('gives up with deadline when the hint would outlast the total timeout', async () => {
    const policy = createPolicy({
      name: 'g',
      retry: RETRY,
      rateLimit: {},
      timeout: { totalMs: 1_000 },
    });
    const events = recordEvents(policy);
    const limited = httpError(429, { retryAfterMs: 2_000 });
    const fn = vi.fn().mockRejectedValue(limited);
    expect(await outcome(policy.execute(fn))).toEqual({ error: limited });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(events.find(([name]) => name === 'giveUp')).toEqual([
      'giveUp',
      { policy: 'g', attempts: 1, reason: classifyOpenAIError(limited), why: 'deadline' },
    ]);
  });

  it('stops a wait at the gate on the caller abort, with no timer left', async () => {
    const policy = createPolicy({ retry: false, rateLimit: {}, timeout: { totalMs: 5_000 } });
    await outcome(policy.execute(() => Promise.reject(httpError(429, { retryAfterMs: 4_000 }))));
    const controller = new AbortController();
    const fn = vi.fn(() => 'sent');
    const aborted = outcome(policy.execute(fn, controller.signal));
    const waiting = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    expect((await aborted).error).toBe(controller.signal.reason);
    await vi.advanceTimersByTimeAsync(3_899);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(await waiting).toEqual({ value: 'sent' });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with TimeoutError(total) while held at the gate', async () => {
    const policy = createPolicy({ retry: false, rateLimit: {}, timeout: { totalMs: 1_000 } });
    await outcome(policy.execute(() => Promise.reject(httpError(429, { retryAfterMs: 10_000 }))));
    const fn = vi.fn(() => 'sent');
    const held = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await held).error).toBeInstanceOf(TimeoutError);
    expect(fn).not.toHaveBeenCalled();
  });

  it('charges the declared tokens to tokensPerMinute and rejects a call larger than the budget', async () => {
    const policy = createPolicy({ rateLimit: { tokensPerMinute: 600 } });
    const { error } = await outcome(policy.execute(() => 'x', { tokens: 700 }));
    expect(error).toBeInstanceOf(RateLimitBudgetError);
    const fn = vi.fn(() => 'x');
    await policy.execute(fn, { tokens: 10 }); // the bucket holds 10 tokens: a second of budget
    const second = outcome(policy.execute(fn, { tokens: 10 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await second).toEqual({ value: 'x' });
  });

  it('forwards the gate’s pace as paced events', async () => {
    const policy = createPolicy({ name: 'g', rateLimit: {} });
    const events = recordEvents(policy);
    await learnPaceThrough(policy);
    const paced = events.filter(([name]) => name === 'paced');
    expect(paced.length).toBeGreaterThan(0);
    for (const [, event] of paced) {
      expect(event).toEqual({ policy: 'g', ratePerSec: expect.any(Number) });
      expect((event as { ratePerSec: number }).ratePerSec).toBeGreaterThan(0);
    }
  });
});

describe('rateLimitGate() on its own', () => {
  it('passes the call signal on to the attempt, as a cockatiel policy does', async () => {
    const stage = rateLimitGate();
    const call = new CallRecord(undefined);
    expect(await stage.execute((context) => context.signal, call.signal)).toBe(call.signal);
  });

  /**
   * Runs `between` as one attempt between two hint-less 429s (backoff 100 ms) and returns how
   * long each 429 closed the gate for: a 429 right after another doubles the backoff; an answer
   * that is not a 429 resets it; an attempt that got no answer changes nothing.
   */
  async function closures(between: unknown): Promise<number[]> {
    const waits: number[] = [];
    // a high minimum pace keeps the learned pace (nothing succeeded yet) out of the way
    const stage = rateLimitGate({ backoffMs: 100, minRatePerSec: 1000 });
    stage.events.on('rateLimited', (e) => waits.push(e.waitMs));
    for (const error of [httpError(429), between, httpError(429)]) {
      const attempt = outcome(stage.execute(() => Promise.reject(error)));
      await vi.runAllTimersAsync();
      expect((await attempt).error).toBe(error);
    }
    return waits;
  }

  it('counts an answer other than 429 as not rate-limited: the backoff starts again', async () => {
    expect(await closures(httpError(500))).toEqual([100, 100]);
    expect(await closures(httpError(400))).toEqual([100, 100]);
  });

  it('reports nothing for an attempt that got no answer (aborted): the backoff keeps doubling', async () => {
    expect(await closures(new APIUserAbortError())).toEqual([100, 200]);
  });
});
