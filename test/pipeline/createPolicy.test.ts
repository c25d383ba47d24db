import { getEventListeners } from 'node:events';
import { retry as cockatielRetry, fallback, handleAll, wrap } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/index.js';
import { createPolicy, LlmPolicy } from '../../src/pipeline/LlmPolicy.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import {
  hangUntilAborted,
  httpError,
  outcome,
  recordEvents,
  useFakeClock,
} from '../support/pipeline.js';

const RETRY = { maxRetries: 3, initialDelayMs: 1_000, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

useFakeClock();

describe('createPolicy', () => {
  it('builds an LlmPolicy named "policy" by default; with no stage it just runs the function', async () => {
    const policy = createPolicy();
    expect(policy).toBeInstanceOf(LlmPolicy);
    expect(policy.name).toBe('policy');
    const events = recordEvents(policy);
    const fn = vi.fn((context: { signal: AbortSignal; attempt: number }) => context);
    const context = await policy.execute(fn);
    expect(context.attempt).toBe(1);
    expect(context.signal).toBeInstanceOf(AbortSignal);
    expect(events).toEqual([['success', { policy: 'policy', attempts: 1, durationMs: 0 }]]);
  });

  it('throws a TypeError at once for a non-function or malformed execute options', () => {
    const policy = createPolicy({ retry: RETRY });
    expect(() => policy.execute(42 as never)).toThrow(
      new TypeError('execute: fn must be a function, got 42'),
    );
    expect(() => policy.execute(() => 1, 42 as never)).toThrow(
      'execute: the second argument must be an AbortSignal or { signal?, tokens?, maxWaitMs? }, got 42',
    );
    expect(() => policy.execute(() => 1, { timeout: 5 } as never)).toThrow(
      'execute: timeout is not an execute option (known: signal, tokens, maxWaitMs), got 5',
    );
    expect(() => policy.execute(() => 1, { signal: 'x' } as never)).toThrow(
      'execute: signal must be an AbortSignal, got "x"',
    );
    expect(() => policy.execute(() => 1, { tokens: -1 })).toThrow(
      'execute: tokens must be a finite number >= 0, got -1',
    );
    expect(() => policy.execute(() => 1, { maxWaitMs: -1 })).toThrow(
      'execute: maxWaitMs must be a number of milliseconds >= 0, or Infinity, got -1',
    );
  });

  it('gives a call up at once when its next wait is longer than its maxWaitMs', async () => {
    const policy = createPolicy({ retry: { ...RETRY, initialDelayMs: 5_000 } });
    const whys: string[] = [];
    policy.events.on('giveUp', (e) => whys.push(e.why));
    let attempts = 0;
    const failing = () => {
      attempts++;
      return Promise.reject(httpError(503));
    };
    await expect(policy.execute(failing, { maxWaitMs: 100 })).rejects.toMatchObject({
      status: 503,
    });
    expect(attempts).toBe(1);
    expect(whys).toEqual(['wait_too_long']);
    // Infinity is no limit: the wait goes ahead (aborted here to keep the test short).
    const controller = new AbortController();
    const call = policy.execute(failing, { signal: controller.signal, maxWaitMs: Infinity });
    await vi.advanceTimersByTimeAsync(20);
    controller.abort(new Error('stop'));
    await expect(call).rejects.toThrow('stop');
    expect(whys).toEqual(['wait_too_long']);
  });

  it('takes a token cost of any finite number >= 0, and no other', async () => {
    const policy = createPolicy({ retry: RETRY });
    expect(await policy.execute(() => 'free', { tokens: 0 })).toBe('free');
    expect(await policy.execute(() => 'some', { tokens: 12.5 })).toBe('some');
    for (const [tokens, shown] of [
      [Infinity, 'Infinity'],
      [Number.NaN, 'NaN'],
      ['5', '"5"'],
    ] as const) {
      expect(() => policy.execute(() => 1, { tokens } as never)).toThrow(
        new TypeError(`execute: tokens must be a finite number >= 0, got ${shown}`),
      );
    }
  });

  it('numbers the attempt 1 in a policy that does not retry', async () => {
    for (const options of [
      {},
      { retry: false as const },
      { timeout: { attemptMs: 1_000 } },
      { retry: false as const, timeout: { attemptMs: 1_000 } },
      { timeout: { totalMs: 1_000 } },
    ]) {
      const policy = createPolicy(options);
      const events = recordEvents(policy);
      expect(await policy.execute(({ attempt }) => attempt)).toBe(1);
      expect(events).toEqual([['success', { policy: 'policy', attempts: 1, durationMs: 0 }]]);
    }
  });

  it('leaves no listener on the caller’s signal once the call has settled, however it ended', async () => {
    const policy = createPolicy({ retry: RETRY, timeout: { attemptMs: 500, totalMs: 1_000 } });
    const settle = [
      () => 'ok',
      () => Promise.reject(httpError(400)),
      ({ signal }: { signal: AbortSignal }) => hangUntilAborted(signal),
    ];
    for (const fn of settle) {
      const controller = new AbortController();
      const call = outcome(policy.execute(fn, controller.signal));
      await vi.advanceTimersByTimeAsync(1_000);
      await call;
      expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
    }
    const controller = new AbortController();
    const call = outcome(
      policy.execute(({ signal }) => hangUntilAborted(signal), controller.signal),
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    expect((await call).error).toBe(controller.signal.reason);
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
  });

  it('takes the signal as the second argument or in { signal, tokens }', async () => {
    const policy = createPolicy({ retry: RETRY, timeout: { attemptMs: 1_000 } });
    for (const makeArg of [(s: AbortSignal) => s, (s: AbortSignal) => ({ signal: s, tokens: 5 })]) {
      const controller = new AbortController();
      const call = outcome(
        policy.execute(({ signal }) => hangUntilAborted(signal), makeArg(controller.signal)),
      );
      controller.abort(new Error('stop'));
      expect((await call).error).toEqual(new Error('stop'));
    }
  });

  it('reports a caller abort as aborted in the failure event, whatever reason the caller gave', async () => {
    const policy = createPolicy({ name: 'p', retry: RETRY, timeout: { attemptMs: 1_000 } });
    const events = recordEvents(policy);
    for (const reason of ['stop', new Error('user left')]) {
      const early = outcome(policy.execute(() => 1, AbortSignal.abort(reason)));
      const controller = new AbortController();
      const during = outcome(
        policy.execute(({ signal }) => hangUntilAborted(signal), controller.signal),
      );
      controller.abort(reason);
      expect((await early).error).toBe(reason);
      expect((await during).error).toBe(reason);
    }
    const kinds = events
      .filter(([name]) => name === 'failure')
      .map(([, e]) => (e as { reason: { kind: string } }).reason.kind);
    expect(kinds).toEqual(['aborted', 'aborted', 'aborted', 'aborted']);
  });

  it('rejects at once with the reason of an already-aborted signal, without calling the function', async () => {
    const policy = createPolicy({ name: 'p', retry: RETRY });
    const events = recordEvents(policy);
    const fn = vi.fn(() => 'never');
    const { error } = await outcome(policy.execute(fn, AbortSignal.abort()));
    expect(classifyOpenAIError(error).kind).toBe('aborted');
    expect(fn).not.toHaveBeenCalled();
    expect(events).toEqual([
      ['failure', { policy: 'p', attempts: 0, durationMs: 0, reason: classifyOpenAIError(error) }],
    ]);
  });

  it('on the caller abort during an attempt: rejects at once (classified aborted), aborts the request, no retry, no timer', async () => {
    const policy = createChatPolicy({ name: 'p' });
    const events = recordEvents(policy);
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    const fn = vi.fn(({ signal }: { signal: AbortSignal }) => {
      signals.push(signal);
      return hangUntilAborted(signal);
    });
    const call = policy.execute(fn, controller.signal);
    const settledAt = call.then(
      () => Date.now(),
      () => Date.now(),
    );
    await vi.advanceTimersByTimeAsync(5_000);
    const abortedAt = Date.now();
    controller.abort();
    const { error } = await outcome(call);
    expect(await settledAt).toBe(abortedAt);
    expect(classifyOpenAIError(error).kind).toBe('aborted');
    expect(signals[0]?.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(events).toEqual([
      [
        'failure',
        { policy: 'p', attempts: 1, durationMs: 5_000, reason: classifyOpenAIError(error) },
      ],
    ]);
  });

  it('rejects at once on the caller abort even when the function ignores its signal', async () => {
    const policy = createPolicy({
      retry: RETRY,
      circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 1_000 },
    });
    const controller = new AbortController();
    const call = outcome(policy.execute(() => new Promise(() => {}), controller.signal));
    controller.abort();
    expect((await call).error).toBe(controller.signal.reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports calls on cockatiel’s onSuccess and onFailure too', async () => {
    const policy = createPolicy({ retry: { ...RETRY, maxRetries: 0 } });
    const successes: unknown[] = [];
    const failures: unknown[] = [];
    const s = policy.onSuccess((e) => successes.push(e));
    const f = policy.onFailure((e) => failures.push(e));
    const slow = policy.execute(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 1;
    });
    await vi.advanceTimersByTimeAsync(20);
    await slow;
    const server = httpError(500);
    const bad = httpError(400);
    await outcome(policy.execute(() => Promise.reject(server)));
    await outcome(policy.execute(() => Promise.reject(bad)));
    s.dispose();
    f.dispose();
    await policy.execute(() => 1);
    expect(successes).toEqual([{ duration: 20 }]);
    expect(failures).toEqual([
      { duration: 0, handled: true, reason: { error: server } },
      { duration: 0, handled: false, reason: { error: bad } },
    ]);
  });

  it('sends only JSON-serialisable event payloads', async () => {
    const policy = createChatPolicy({ name: 'p', circuitBreaker: { consecutiveFailures: 1 } });
    const events = recordEvents(policy);
    const call = outcome(
      policy.execute(() => Promise.reject(httpError(503, { retryAfterMs: 10 }))),
    );
    await vi.runAllTimersAsync();
    await call;
    expect(events.length).toBeGreaterThan(3);
    for (const [, event] of events) expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });

  it('composes inside cockatiel’s wrap(): a cockatiel fallback outside, a cockatiel retry around', async () => {
    const policy = createPolicy({ retry: { ...RETRY, maxRetries: 1 } });
    const withFallback = wrap(fallback(handleAll, 'cheaper model'), policy);
    const fn = vi.fn(() => Promise.reject(httpError(500)));
    const result = withFallback.execute(fn);
    await vi.runAllTimersAsync();
    expect(await result).toBe('cheaper model');
    expect(fn).toHaveBeenCalledTimes(2);
    const outer = wrap(cockatielRetry(handleAll, { maxAttempts: 1 }), policy);
    let attempts = 0;
    const outerCall = outer.execute(({ attempt, signal }) => {
      attempts++;
      expect(signal).toBeInstanceOf(AbortSignal);
      if (attempts === 1) throw httpError(400); // not retried by the policy, retried by cockatiel
      return attempt;
    });
    await vi.runAllTimersAsync();
    expect(await outerCall).toBe(1);
    expect(attempts).toBe(2);
  });

  it('a throwing listener changes nothing', async () => {
    const policy = createPolicy({ retry: RETRY });
    policy.events.on('retry', () => {
      throw new Error('listener');
    });
    const call = policy.execute(
      vi.fn().mockRejectedValueOnce(httpError(500)).mockResolvedValue('ok'),
    );
    await vi.runAllTimersAsync();
    expect(await call).toBe('ok');
  });
});
