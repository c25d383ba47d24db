import { describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError, TimeoutError } from '../../src/errors/index.js';
import { type PolicyEvent, PolicyEvents } from '../../src/events.js';
import { CallRecord, callRecordOf } from '../../src/pipeline/callRecord.js';
import { hedge } from '../../src/pipeline/hedge.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { createStreamPolicy } from '../../src/policies/stream.js';
import {
  hangUntilAborted,
  httpError,
  outcome,
  recordEvents,
  useFakeClock,
} from '../support/pipeline.js';

useFakeClock();

/** A call's function whose attempt `n` answers as `plan[n - 1]` says: after a delay, or never. */
function planned(...plan: ({ afterMs: number; error?: unknown } | 'hang')[]) {
  const signals: AbortSignal[] = [];
  const fn = vi.fn(({ signal, attempt }: { signal: AbortSignal; attempt: number }) => {
    signals.push(signal);
    const step = plan[attempt - 1] ?? 'hang';
    if (step === 'hang') return hangUntilAborted(signal);
    return new Promise<string>((resolve, reject) => {
      setTimeout(() => {
        if (step.error === undefined) resolve(`answer ${attempt}`);
        else reject(step.error);
      }, step.afterMs);
    });
  });
  return { fn, signals };
}

describe('hedging stage', () => {
  it('starts a second attempt when the first is slow, keeps the first success and aborts the other', async () => {
    const policy = createPolicy({ name: 'h', hedge: { delayMs: 500 } });
    const events = recordEvents(policy);
    const { fn, signals } = planned('hang', { afterMs: 100 });
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(499);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(fn.mock.calls.map(([context]) => context.attempt)).toEqual([1, 2]);
    expect(signals[0]).not.toBe(signals[1]);
    expect(signals[0]?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(await result).toEqual({ value: 'answer 2' });
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toMatchObject({
      name: 'AbortError',
      message: 'llm-resilience: another attempt of the hedge round answered first',
    });
    expect(signals[1]?.aborted).toBe(false);
    expect(events).toEqual([
      ['hedge', { policy: 'h', attempt: 2, delayMs: 500 }],
      ['success', { policy: 'h', attempts: 2, durationMs: 600 }],
    ]);
  });

  it('starts nothing more when the first attempt answers in time', async () => {
    const policy = createPolicy({ hedge: { delayMs: 500 } });
    const events = recordEvents(policy);
    const { fn } = planned({ afterMs: 499 });
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(499);
    expect(await result).toEqual({ value: 'answer 1' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(events.map(([name]) => name)).toEqual(['success']);
  });

  it('starts up to maxHedges extra attempts, one every delayMs, and aborts them all when one wins', async () => {
    const policy = createPolicy({ hedge: { delayMs: 300, maxHedges: 2 } });
    const hedges: PolicyEvent<'hedge'>[] = [];
    policy.events.on('hedge', (e) => hedges.push(e));
    const { fn, signals } = planned({ afterMs: 700 }, 'hang', 'hang', 'hang');
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await result).toEqual({ value: 'answer 1' });
    expect(fn).toHaveBeenCalledTimes(3);
    expect(hedges.map((e) => [e.attempt, e.delayMs])).toEqual([
      [2, 300],
      [3, 600],
    ]);
    expect(signals.map((s) => s.aborted)).toEqual([false, true, true]);
  });

  it('waits for the attempts still running when one fails, and keeps a later success', async () => {
    const policy = createPolicy({ hedge: { delayMs: 200 } });
    const { fn } = planned({ afterMs: 300, error: httpError(500) }, { afterMs: 400 });
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(300);
    expect(fn).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(299);
    expect(vi.getTimerCount()).toBe(1); // the second attempt's answer is still to come
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toEqual({ value: 'answer 2' });
  });

  it('fails the round with the last failure once every attempt failed, for the retry stage to judge', async () => {
    const policy = createPolicy({
      name: 'h',
      hedge: { delayMs: 100 },
      retry: { maxRetries: 1, initialDelayMs: 1_000, maxDelayMs: 1_000, maxRetryAfterMs: 0 },
    });
    const events = recordEvents(policy);
    const { fn } = planned(
      { afterMs: 300, error: httpError(503) },
      { afterMs: 50, error: httpError(500) },
      { afterMs: 10 },
    );
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await result).toEqual({ value: 'answer 3' });
    expect(fn.mock.calls.map(([context]) => context.attempt)).toEqual([1, 2, 3]);
    const retry = events.find(([name]) => name === 'retry')?.[1];
    expect(retry).toMatchObject({ attempt: 2, reason: { kind: 'overloaded', status: 503 } });
    expect(events.at(-1)).toEqual(['success', expect.objectContaining({ attempts: 3 })]);
  });

  it('ends the round at once on a failure with no other attempt running: no hedge follows', async () => {
    const policy = createPolicy({ hedge: { delayMs: 500 } });
    const events = recordEvents(policy);
    const error = httpError(400);
    const { fn } = planned({ afterMs: 100, error });
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(100);
    expect(await result).toEqual({ error });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(events.map(([name]) => name)).toEqual(['failure']);
  });

  it('counts every attempt against maxRetries per round, never more than (maxRetries + 1) x (maxHedges + 1)', async () => {
    const policy = createPolicy({
      hedge: { delayMs: 100, maxHedges: 2 },
      retry: { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 0 },
      timeout: { attemptMs: 1_000 },
    });
    const giveUps: PolicyEvent<'giveUp'>[] = [];
    policy.events.on('giveUp', (e) => giveUps.push(e));
    const { fn } = planned();
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await result).error).toBeInstanceOf(TimeoutError);
    expect(fn).toHaveBeenCalledTimes(9);
    expect(giveUps).toMatchObject([{ attempts: 9, why: 'max_retries' }]);
  });

  it('gives every attempt its own attempt timeout, numbered in the timeout event', async () => {
    const policy = createPolicy({ hedge: { delayMs: 400 }, timeout: { attemptMs: 1_000 } });
    const timeouts: PolicyEvent<'timeout'>[] = [];
    policy.events.on('timeout', (e) => timeouts.push(e));
    const { fn, signals } = planned('hang', 'hang');
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(timeouts.map((e) => e.attempt)).toEqual([1]);
    expect(signals[0]?.reason).toBeInstanceOf(TimeoutError);
    expect(signals[1]?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(400);
    expect(timeouts.map((e) => e.attempt)).toEqual([1, 2]);
    const { error } = await result;
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it('stops every attempt when the caller aborts, and leaves no timer', async () => {
    const policy = createPolicy({ hedge: { delayMs: 100, maxHedges: 3 } });
    const controller = new AbortController();
    const { fn, signals } = planned('hang', 'hang');
    const result = outcome(policy.execute(fn, controller.signal));
    await vi.advanceTimersByTimeAsync(150);
    const reason = new Error('user left');
    controller.abort(reason);
    expect(await result).toEqual({ error: reason });
    expect(signals.map((s) => [s.aborted, s.reason])).toEqual([
      [true, reason],
      [true, reason],
    ]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('never hedges a call that aborted before it started', async () => {
    const policy = createPolicy({ hedge: { delayMs: 100 } });
    const { fn } = planned();
    const reason = new Error('gone');
    expect(await outcome(policy.execute(fn, AbortSignal.abort(reason)))).toEqual({ error: reason });
    expect(fn).not.toHaveBeenCalled();
  });

  it('does not count an attempt it aborted as a breaker failure', async () => {
    const policy = createPolicy({
      hedge: { delayMs: 100 },
      circuitBreaker: { consecutiveFailures: 1, halfOpenAfterMs: 1_000 },
    });
    const { fn } = planned('hang', { afterMs: 10 });
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(110);
    expect(await result).toEqual({ value: 'answer 2' });
    expect(policy.circuitState).toBe('closed');
  });

  it('sends each attempt through the rate-limit gate with the call tokens', async () => {
    const policy = createPolicy({
      hedge: { delayMs: 100 },
      rateLimit: { tokensPerMinute: 1_000 },
    });
    const { fn } = planned('hang', { afterMs: 10 });
    const first = outcome(policy.execute(fn, { tokens: 600 }));
    await vi.advanceTimersByTimeAsync(100);
    // The hedge needs 600 more tokens of the minute's 1,000: it waits at the gate.
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(await first).toEqual({ value: 'answer 2' });
  });
});

describe('hedge options', () => {
  it.each([
    [
      { delayMs: -1 },
      'hedge.delayMs must be a number of milliseconds >= 0 and <= 2147483647, got -1',
    ],
    [{}, 'hedge.delayMs must be a number of milliseconds >= 0 and <= 2147483647, got undefined'],
    [{ delayMs: 10, maxHedges: 0 }, 'hedge.maxHedges must be an integer >= 1, got 0'],
    [{ delayMs: 10, maxHedges: 1.5 }, 'hedge.maxHedges must be an integer >= 1, got 1.5'],
    [
      { delayMs: 10, after: 3 },
      'hedge.after is not a hedge option (known: delayMs, maxHedges), got 3',
    ],
  ])('rejects %j with a TypeError naming the option', (hedge, message) => {
    expect(() => createPolicy({ hedge: hedge as { delayMs: number } })).toThrow(
      new TypeError(message),
    );
  });

  it('rejects a delay the attempt timeout would cut first', () => {
    expect(() =>
      createPolicy({ hedge: { delayMs: 2_000 }, timeout: { attemptMs: 2_000 } }),
    ).toThrow(
      new TypeError(
        'hedge.delayMs must be < timeout.attemptMs (2000), got 2000: the attempt would time out before its hedge started',
      ),
    );
    expect(() =>
      createPolicy({ hedge: { delayMs: 1_999 }, timeout: { attemptMs: 2_000 } }),
    ).not.toThrow();
  });

  it('is not a stream policy option', () => {
    expect(() => createStreamPolicy({ hedge: { delayMs: 10 } } as never)).toThrow(
      new TypeError('hedge is not a stream policy option (streams are not hedged), got an object'),
    );
  });

  it('classifies the abort of an attempt that lost the race as aborted', async () => {
    const policy = createPolicy({ hedge: { delayMs: 0 } });
    const { fn, signals } = planned('hang', { afterMs: 1 });
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toEqual({ value: 'answer 2' });
    expect(classifyOpenAIError(signals[0]?.reason).kind).toBe('aborted');
  });
});

describe('hedge() on its own', () => {
  it('rejects a call that has already aborted, without running the function or a timer', async () => {
    const stage = hedge({ delayMs: 10, name: 'h', events: new PolicyEvents() });
    const call = new CallRecord(undefined);
    call.abort('gone');
    const fn = vi.fn(() => 'ran');
    expect(await outcome(stage.execute(fn, call.signal))).toEqual({ error: 'gone' });
    expect(fn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('numbers the first attempt 1 when no retry stage has, and gives each attempt the call tokens', async () => {
    const stage = hedge({ delayMs: 10, name: 'h' });
    const call = new CallRecord(42);
    const seen: [number, number | undefined][] = [];
    const result = outcome(
      stage.execute(({ signal, attempt }) => {
        seen.push([attempt, callRecordOf(signal)?.tokens]);
        return attempt === 2 ? 'second' : hangUntilAborted(signal);
      }, call.signal),
    );
    await vi.advanceTimersByTimeAsync(10);
    expect(await result).toEqual({ value: 'second' });
    expect(seen).toEqual([
      [1, 42],
      [2, 42],
    ]);
    expect(call.attempt).toBe(2);
  });
});
