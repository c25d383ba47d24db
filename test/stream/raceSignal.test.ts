import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { raceSignal } from '../../src/stream/raceSignal.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('raceSignal', () => {
  it('resolves with the value and removes its abort listener', async () => {
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const work = deferred<number>();
    const race = raceSignal(() => work.promise, controller.signal, 100);
    await vi.advanceTimersByTimeAsync(99);
    work.resolve(7);
    expect(await race).toBe(7);
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });

  it("rejects with the signal's reason as soon as it aborts, ignoring a late rejection", async () => {
    const controller = new AbortController();
    const work = deferred<number>();
    const race = raceSignal(() => work.promise, controller.signal, 1_000);
    controller.abort('stop');
    await expect(race).rejects.toBe('stop');
    work.reject(new Error('late'));
    await vi.advanceTimersByTimeAsync(0);
  });

  it('rejects with an idle TimeoutError after idleMs', async () => {
    const race = raceSignal(() => new Promise<never>(() => {}), new AbortController().signal, 250);
    const settled = expect(race).rejects.toEqual(new TimeoutError('idle', 250));
    await vi.advanceTimersByTimeAsync(250);
    await settled;
  });

  it('rejects at once without calling start when the signal is already aborted', async () => {
    const start = vi.fn(() => 1);
    await expect(raceSignal(start, AbortSignal.abort('gone'))).rejects.toBe('gone');
    expect(start).not.toHaveBeenCalled();
  });

  it('turns a synchronous throw of start into a rejection', async () => {
    const error = new Error('sync');
    await expect(
      raceSignal(() => {
        throw error;
      }, new AbortController().signal),
    ).rejects.toBe(error);
  });
});
