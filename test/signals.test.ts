import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isAbortSignal, neverAbortedSignal, sleep } from '../src/signals.js';
import { outcome } from './support/pipeline.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('sleep', () => {
  it('resolves after the delay and leaves nothing behind', async () => {
    const controller = new AbortController();
    const done = vi.fn();
    void sleep(100, controller.signal).then(done);
    await vi.advanceTimersByTimeAsync(99);
    expect(done).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
  });

  it('rejects with the reason at once when the signal aborts, and clears its timer', async () => {
    const controller = new AbortController();
    const slept = outcome(sleep(10_000, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort('why');
    expect(await slept).toEqual({ error: 'why' });
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
    expect(await outcome(sleep(5, AbortSignal.abort('already')))).toEqual({ error: 'already' });
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('isAbortSignal and neverAbortedSignal', () => {
  it('tells signals from other values', () => {
    expect(isAbortSignal(new AbortController().signal)).toBe(true);
    expect(isAbortSignal(neverAbortedSignal)).toBe(true);
    expect(neverAbortedSignal.aborted).toBe(false);
    expect(isAbortSignal({ signal: new AbortController().signal })).toBe(false);
    expect(isAbortSignal(null)).toBe(false);
    expect(isAbortSignal({ aborted: false })).toBe(false);
    expect(isAbortSignal({ aborted: 'no', addEventListener() {} })).toBe(false);
    expect(isAbortSignal({ aborted: false, addEventListener() {} })).toBe(true);
    expect(isAbortSignal({ aborted: false, addEventListener: true })).toBe(false);
    expect(isAbortSignal('aborted')).toBe(false);
  });
});
