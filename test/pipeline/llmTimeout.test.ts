import { APIUserAbortError } from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError, TimeoutError } from '../../src/errors/index.js';
import { PolicyEvents } from '../../src/events.js';
import { CallRecord, callRecordOf } from '../../src/pipeline/callRecord.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { llmTimeout } from '../../src/pipeline/llmTimeout.js';
import {
  hangUntilAborted,
  httpError,
  outcome,
  recordEvents,
  useFakeClock,
} from '../support/pipeline.js';

const RETRY = { maxRetries: 2, initialDelayMs: 100, maxDelayMs: 100, maxRetryAfterMs: 1_000 };

useFakeClock();

describe('attempt timeout', () => {
  it('aborts the attempt signal and rejects with TimeoutError(attempt), never the SDK abort error', async () => {
    const policy = createPolicy({ name: 't', timeout: { attemptMs: 1_000 } });
    const events = recordEvents(policy);
    let seen: AbortSignal | undefined;
    const result = outcome(
      policy.execute(({ signal }) => {
        seen = signal;
        return hangUntilAborted(signal);
      }),
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const { error } = await result;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ scope: 'attempt', timeoutMs: 1_000 });
    expect(error).not.toBeInstanceOf(APIUserAbortError);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
    expect(classifyOpenAIError(error).kind).toBe('timeout');
    expect(vi.getTimerCount()).toBe(0);
    expect(events).toEqual([
      ['timeout', { policy: 't', scope: 'attempt', timeoutMs: 1_000, attempt: 1 }],
      [
        'failure',
        { policy: 't', attempts: 1, durationMs: 1_000, reason: classifyOpenAIError(error) },
      ],
    ]);
  });

  it('rejects at the timeout even when the function ignores its signal', async () => {
    const policy = createPolicy({ timeout: { attemptMs: 500 } });
    const result = outcome(policy.execute(() => new Promise(() => {})));
    await vi.advanceTimersByTimeAsync(500);
    expect((await result).error).toBeInstanceOf(TimeoutError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives each attempt a fresh signal and retries a timed-out attempt', async () => {
    const policy = createPolicy({ name: 't', retry: RETRY, timeout: { attemptMs: 1_000 } });
    const events = recordEvents(policy);
    const signals: AbortSignal[] = [];
    const fn = vi.fn(({ signal, attempt }: { signal: AbortSignal; attempt: number }) => {
      signals.push(signal);
      return attempt < 3 ? hangUntilAborted(signal) : Promise.resolve(attempt);
    });
    const result = outcome(policy.execute(fn));
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 3 });
    expect(new Set(signals).size).toBe(3);
    expect(signals.map((s) => s.aborted)).toEqual([true, true, false]);
    expect(events.filter(([name]) => name === 'timeout')).toEqual([
      ['timeout', { policy: 't', scope: 'attempt', timeoutMs: 1_000, attempt: 1 }],
      ['timeout', { policy: 't', scope: 'attempt', timeoutMs: 1_000, attempt: 2 }],
    ]);
  });

  it('passes a result and an error through and clears its timer', async () => {
    const policy = createPolicy({ timeout: { attemptMs: 1_000 } });
    expect(await policy.execute(() => 'sync')).toBe('sync');
    const error = httpError(400);
    expect(await outcome(policy.execute(() => Promise.reject(error)))).toEqual({ error });
    const thrown = new Error('sync throw');
    expect(
      await outcome(
        policy.execute(() => {
          throw thrown;
        }),
      ),
    ).toEqual({ error: thrown });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('treats Infinity as no limit', async () => {
    const policy = createPolicy({ timeout: { attemptMs: Infinity, totalMs: Infinity } });
    const result = policy.execute(({ signal }) => Promise.resolve(signal.aborted));
    expect(vi.getTimerCount()).toBe(0);
    expect(await result).toBe(false);
  });
});

describe('total timeout', () => {
  it('bounds the whole call, retries included, and rejects with TimeoutError(total)', async () => {
    const policy = createPolicy({
      name: 't',
      retry: { ...RETRY, maxRetries: 10 },
      timeout: { attemptMs: 400, totalMs: 1_000 },
    });
    const events = recordEvents(policy);
    const fn = vi.fn(({ signal }: { signal: AbortSignal }) => hangUntilAborted(signal));
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(1_000);
    const { error } = await result;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ scope: 'total', timeoutMs: 1_000 });
    expect(fn).toHaveBeenCalledTimes(3); // 0-400, 400-800 (retried at once), 800-1000 cut
    expect(fn.mock.calls[2]?.[0].signal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(events.filter(([name]) => name === 'timeout')).toEqual([
      ['timeout', { policy: 't', scope: 'attempt', timeoutMs: 400, attempt: 1 }],
      ['timeout', { policy: 't', scope: 'attempt', timeoutMs: 400, attempt: 2 }],
      ['timeout', { policy: 't', scope: 'total', timeoutMs: 1_000, attempt: 3 }],
    ]);
    expect(events.at(-1)).toEqual([
      'failure',
      { policy: 't', attempts: 3, durationMs: 1_000, reason: classifyOpenAIError(error) },
    ]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('cuts the retry under way short, after a backoff sleep', async () => {
    const policy = createPolicy({
      retry: { ...RETRY, initialDelayMs: 600, maxDelayMs: 600 },
      timeout: { totalMs: 1_000 },
    });
    const fn = vi.fn(async ({ signal, attempt }: { signal: AbortSignal; attempt: number }) => {
      if (attempt > 1) return hangUntilAborted(signal);
      await new Promise((resolve) => setTimeout(resolve, 300));
      throw httpError(500);
    });
    const result = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(999);
    expect(fn).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect((await result).error).toMatchObject({ scope: 'total' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives a real signal to the function when there is no attempt timeout', async () => {
    const policy = createPolicy({ timeout: { totalMs: 1_000 } });
    let seen: AbortSignal | undefined;
    const result = outcome(
      policy.execute(({ signal, attempt }) => {
        seen = signal;
        expect(attempt).toBe(1);
        return hangUntilAborted(signal);
      }),
    );
    expect(seen).toBeInstanceOf(AbortSignal);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await result).error).toMatchObject({ scope: 'total' });
    expect(seen?.reason).toMatchObject({ scope: 'total' });
  });
});

describe('either timeout', () => {
  it('rejects an aborted call at once, whatever its scope, without running the function', async () => {
    const limits = [{ attemptMs: 1_000 }, { totalMs: 1_000 }];
    for (const limit of limits) {
      const stage = llmTimeout({ ...limit, name: 't', events: new PolicyEvents() });
      const call = new CallRecord(undefined);
      call.abort('gone');
      const fn = vi.fn(() => 'ran');
      expect(await outcome(stage.execute(fn, call.signal))).toEqual({ error: 'gone' });
      expect(fn).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
    }
  });

  it('after a success, the total timeout waits for what the call holds; the attempt timeout does not', async () => {
    const policy = createPolicy({ name: 't', timeout: { attemptMs: 1_000, totalMs: 5_000 } });
    const events = recordEvents(policy);
    let release = (): void => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let seen: AbortSignal | undefined;
    const value = await policy.execute(({ signal }) => {
      seen = signal;
      const call = callRecordOf(signal);
      if (call !== undefined) call.holdUntil = held;
      return 'streaming';
    });
    expect(value).toBe('streaming');
    expect(vi.getTimerCount()).toBe(1); // the total timeout's, until the hold settles
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen?.aborted).toBe(false);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(events.map(([name]) => name)).toEqual(['success']);
  });
});
