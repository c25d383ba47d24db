import { getEventListeners } from 'node:events';
import { BulkheadRejectedError } from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/index.js';
import { PolicyEvents } from '../../src/events.js';
import { callRecordOf } from '../../src/pipeline/callRecord.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { llmBulkhead } from '../../src/pipeline/llmBulkhead.js';
import { outcome, recordEvents } from '../support/pipeline.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A function that resolves with `value` when `release` is called. */
function gated<T>(value: T) {
  let release = (): void => {};
  const fn = vi.fn(
    () =>
      new Promise<T>((resolve) => {
        release = () => resolve(value);
      }),
  );
  return { fn, release: () => release() };
}

describe('bulkhead stage', () => {
  it('runs maxConcurrent calls, queues maxQueued in order and rejects the next one', async () => {
    const policy = createPolicy({ name: 'k', bulkhead: { maxConcurrent: 2, maxQueued: 1 } });
    const events = recordEvents(policy);
    const calls = [gated('a'), gated('b'), gated('c')];
    const results = calls.map((c) => outcome(policy.execute(c.fn)));
    const rejected = await outcome(policy.execute(() => 'never'));
    expect(rejected.error).toBeInstanceOf(BulkheadRejectedError);
    expect(classifyOpenAIError(rejected.error).kind).toBe('aborted');
    expect(events[0]).toEqual(['bulkheadReject', { policy: 'k', executing: 2, queued: 1 }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.fn.mock.calls.length)).toEqual([1, 1, 0]);
    calls[1]?.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls[2]?.fn).toHaveBeenCalledTimes(1);
    calls[0]?.release();
    calls[2]?.release();
    expect(await Promise.all(results)).toEqual([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    expect(events[1]).toEqual([
      'failure',
      { policy: 'k', attempts: 0, durationMs: 0, reason: classifyOpenAIError(rejected.error) },
    ]);
  });

  it('frees the slot of a call that fails', async () => {
    const policy = createPolicy({ bulkhead: { maxConcurrent: 1, maxQueued: 0 } });
    await outcome(policy.execute(() => Promise.reject(new Error('x'))));
    expect(await policy.execute(() => 'next')).toBe('next');
  });

  it('lets a queued call leave at once when its caller aborts', async () => {
    const policy = createPolicy({ bulkhead: { maxConcurrent: 1, maxQueued: 5 } });
    const running = gated('running');
    const first = outcome(policy.execute(running.fn));
    const controller = new AbortController();
    const queuedFn = vi.fn(() => 'queued');
    const queued = outcome(policy.execute(queuedFn, controller.signal));
    const after = gated('after');
    const third = outcome(policy.execute(after.fn));
    controller.abort();
    const { error } = await queued;
    expect(error).toBe(controller.signal.reason);
    expect(classifyOpenAIError(error).kind).toBe('aborted');
    running.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(queuedFn).not.toHaveBeenCalled();
    expect(after.fn).toHaveBeenCalledTimes(1);
    after.release();
    expect(await first).toEqual({ value: 'running' });
    expect(await third).toEqual({ value: 'after' });
  });

  it('accepts an unbounded queue', async () => {
    const policy = createPolicy({ bulkhead: { maxConcurrent: 1, maxQueued: Infinity } });
    const results = Array.from({ length: 50 }, (_, i) => policy.execute(() => i));
    expect(await Promise.all(results)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
  it('holds the slot of an aborted call until its work has stopped, while execute rejects at once', async () => {
    const policy = createPolicy({
      bulkhead: { maxConcurrent: 1, maxQueued: 0 },
      timeout: { totalMs: 1_000 },
    });
    const stubborn = gated('ignored its signal');
    const controller = new AbortController();
    const first = outcome(policy.execute(stubborn.fn, controller.signal));
    controller.abort();
    expect((await first).error).toBe(controller.signal.reason);
    expect((await outcome(policy.execute(() => 'x'))).error).toBeInstanceOf(BulkheadRejectedError);
    stubborn.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(await policy.execute(() => 'x')).toBe('x');
    const second = gated('late');
    const timedOut = outcome(policy.execute(second.fn));
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await timedOut).error).toMatchObject({ scope: 'total' });
    expect((await outcome(policy.execute(() => 'x'))).error).toBeInstanceOf(BulkheadRejectedError);
    second.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(await policy.execute(() => 'x')).toBe('x');
  });
});

describe('llmBulkhead() on its own, with a caller signal', () => {
  const stage = (maxQueued: number) =>
    llmBulkhead({ maxConcurrent: 1, maxQueued, name: 's', events: new PolicyEvents() });

  it('rejects with the reason of an already-aborted signal without running the function', async () => {
    const fn = vi.fn(() => 'ran');
    const signal = AbortSignal.abort('gone');
    expect(await outcome(stage(1).execute(fn, signal))).toEqual({ error: 'gone' });
    expect(fn).not.toHaveBeenCalled();
  });

  it("hands the function the signal of the call it owns, which aborts with the caller's", async () => {
    const caller = new AbortController();
    const seen = await stage(0).execute((context) => context.signal, caller.signal);
    expect(seen).not.toBe(caller.signal);
    expect(callRecordOf(seen)?.signal).toBe(seen);
  });

  it('listens to a queued call’s signal only while it waits', async () => {
    const bulkhead = stage(2);
    const running = gated('running');
    const first = outcome(bulkhead.execute(running.fn));
    const leaving = new AbortController();
    const staying = new AbortController();
    const left = outcome(bulkhead.execute(() => 'never', leaving.signal));
    const next = outcome(
      bulkhead.execute(({ signal }) => callRecordOf(signal) !== undefined, staying.signal),
    );
    expect(getEventListeners(leaving.signal, 'abort')).toHaveLength(1);
    expect(getEventListeners(staying.signal, 'abort')).toHaveLength(1);
    leaving.abort('left');
    expect(await left).toEqual({ error: 'left' });
    expect(getEventListeners(leaving.signal, 'abort')).toEqual([]);
    running.release();
    expect(await first).toEqual({ value: 'running' });
    expect(await next).toEqual({ value: true });
    expect(getEventListeners(staying.signal, 'abort')).toEqual([]);
  });
});
