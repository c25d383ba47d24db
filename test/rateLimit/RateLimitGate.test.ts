import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { classifyError } from '../../src/errors/classifyError.js';
import {
  RateLimitBudgetError,
  RateLimitGate,
  type RateLimitGateEvent,
  RateLimitHoldError,
  type RateLimitOptions,
} from '../../src/rateLimit/index.js';
import { rateLimitReason } from './simulatedServer.js';

function gateWith(options: RateLimitOptions = {}) {
  const events: RateLimitGateEvent[] = [];
  const gate = new RateLimitGate(options, (event) => events.push(event));
  const paced = () =>
    events.flatMap((e) => (e.type === 'paced' ? [e.ratePerSec] : ([] as number[])));
  const closed = () => events.filter((e) => e.type === 'rateLimited');
  return { gate, events, paced, closed };
}

/** Tracks when each of several acquires settles, in fake time. */
function track(promise: Promise<void>) {
  const state: { at?: number; error?: unknown } = {};
  promise.then(
    () => {
      state.at = Date.now();
    },
    (error: unknown) => {
      state.at = Date.now();
      state.error = error;
    },
  );
  return state;
}

/**
 * Teaches the gate a pace of `rate` requests per second: `rate` requests succeed within one
 * millisecond, then the two more in flight are rate-limited with `hintMs` (a wave, not a lone
 * 429). A hint of 1000 / `rate` ms or more implies no faster pace.
 */
async function learnPace(gate: RateLimitGate, rate: number, hintMs: number) {
  for (let i = 0; i < rate + 2; i++) await gate.acquire(undefined);
  for (let i = 0; i < rate; i++) gate.onSuccess();
  gate.onRateLimited(rateLimitReason(hintMs));
  gate.onRateLimited(rateLimitReason(hintMs));
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RateLimitGate before any 429', () => {
  it('lets every call through at once, with no timer and no event', async () => {
    const { gate, events } = gateWith();
    const first = gate.acquire(undefined);
    const settled = Array.from({ length: 500 }, () => track(gate.acquire(undefined)));
    expect(vi.getTimerCount()).toBe(0);
    await first;
    expect(settled.every((s) => s.at !== undefined && s.error === undefined)).toBe(true);
    for (let i = 0; i < 500; i++) gate.onSuccess();
    expect(events).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects at once with the reason of a signal that is already aborted', async () => {
    const { gate } = gateWith();
    const reason = new Error('caller gave up');
    await expect(gate.acquire(AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});

describe('closing on a 429', () => {
  it('holds every caller for the server hint and reports rateLimited once', async () => {
    const { gate, closed } = gateWith();
    await gate.acquire(undefined);
    const reason = rateLimitReason(500);
    const start = Date.now();
    gate.onRateLimited(reason);
    const waiting = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(499);
    expect(waiting.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting.at).toBe(start + 500);
    expect(closed()).toEqual([{ type: 'rateLimited', waitMs: 500, reason }]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('caps a hint at maxWaitMs', async () => {
    const { gate, closed } = gateWith({ maxWaitMs: 2000 });
    await gate.acquire(undefined);
    const start = Date.now();
    gate.onRateLimited(rateLimitReason(3_600_000));
    const waiting = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(2000);
    expect(waiting.at).toBe(start + 2000);
    expect(closed()[0]).toMatchObject({ waitMs: 2000 });
  });

  it('without a hint, closes for backoffMs, doubling while fresh 429s continue, reset by a success', async () => {
    // a high minimum pace keeps the learned pace (nothing succeeded yet) out of the way
    const { gate, closed } = gateWith({ backoffMs: 100, minRatePerSec: 1000 });
    /** Acquires (running the timers it needs); returns how long it waited. */
    const acquire = async () => {
      const start = Date.now();
      const done = track(gate.acquire(undefined));
      await vi.runAllTimersAsync();
      expect(done.error).toBeUndefined();
      return (done.at ?? Number.NaN) - start;
    };
    expect(await acquire()).toBe(0);
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      gate.onRateLimited(rateLimitReason(undefined));
      waits.push(await acquire());
    }
    expect(waits).toEqual([100, 200, 400]);
    gate.onSuccess();
    await acquire();
    gate.onRateLimited(rateLimitReason(undefined));
    expect(closed().map((e) => (e.type === 'rateLimited' ? e.waitMs : 0))).toEqual([
      100, 200, 400, 100,
    ]);
  });
});

describe('the learned pace', () => {
  it('starts from the successes per second before the 429 and releases waiters in order, one per step', async () => {
    const { gate, paced } = gateWith();
    await learnPace(gate, 10, 300);
    expect(paced()).toEqual([10]);
    const start = Date.now();
    const order: number[] = [];
    const waiters = Array.from({ length: 5 }, (_, i) =>
      track(gate.acquire(undefined).then(() => void order.push(i))),
    );
    await vi.advanceTimersByTimeAsync(299);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    // one at the reopening (300 ms), then one every 100 ms (10 per second)
    expect(waiters.map((w) => (w.at ?? Number.NaN) - start)).toEqual([300, 400, 500, 600, 700]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('releases no saved-up burst after a long closure: one at the reopening, then the pace', async () => {
    const { gate } = gateWith();
    await learnPace(gate, 10, 5000);
    const start = Date.now();
    const waiters = Array.from({ length: 3 }, () => track(gate.acquire(undefined)));
    await vi.advanceTimersByTimeAsync(6000);
    expect(waiters.map((w) => (w.at ?? Number.NaN) - start)).toEqual([5000, 5100, 5200]);
  });

  it('grows additively while callers wait on it and succeed', async () => {
    const { gate, paced } = gateWith({ increasePerSec: 2 });
    await learnPace(gate, 10, 0);
    const waiters = Array.from({ length: 20 }, () => track(gate.acquire(undefined)));
    // each success adds increasePerSec / pace: 10.2, 10.396, ... the seventh passes 11 (+10%)
    for (let i = 0; i < 7; i++) {
      await vi.advanceTimersByTimeAsync(100);
      gate.onSuccess();
    }
    expect(paced()).toHaveLength(2);
    expect(paced()[1]).toBeCloseTo(11.15, 2);
    expect(waiters.filter((w) => w.at !== undefined).length).toBeGreaterThan(6);
    await vi.advanceTimersByTimeAsync(5000);
  });

  it('does not grow while callers are not waiting on it', async () => {
    const { gate, paced } = gateWith();
    await learnPace(gate, 10, 0);
    for (let i = 0; i < 50; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      await gate.acquire(undefined);
      gate.onSuccess();
    }
    expect(paced()).toEqual([10]);
  });

  it('cuts multiplicatively on a fresh 429, once for the whole wave of 429s sent before it', async () => {
    const { gate, paced, closed } = gateWith({ decreaseFactor: 0.5 });
    // first wave: 30 requests at once; 20 succeed and 10 are rate-limited
    for (let i = 0; i < 30; i++) await gate.acquire(undefined);
    for (let i = 0; i < 20; i++) gate.onSuccess();
    for (let i = 0; i < 10; i++) gate.onRateLimited(rateLimitReason(50));
    expect(paced()).toEqual([20]);
    expect(closed()).toHaveLength(1);
    // second wave, sent after: its first 429 halves the pace, the rest of the wave does not
    const wave = Array.from({ length: 4 }, () => track(gate.acquire(undefined)));
    await vi.advanceTimersByTimeAsync(1000);
    expect(wave.every((w) => w.at !== undefined)).toBe(true);
    for (let i = 0; i < 4; i++) gate.onRateLimited(rateLimitReason(50));
    expect(paced()).toEqual([20, 10]);
    // a request sent after that cut, rate-limited, cuts again
    await vi.advanceTimersByTimeAsync(1000);
    await gate.acquire(undefined);
    gate.onRateLimited(rateLimitReason(50));
    expect(paced()).toEqual([20, 10, 5]);
  });

  it('takes its first estimate from replies that come back after the first 429', async () => {
    const { gate, paced } = gateWith();
    for (let i = 0; i < 40; i++) await gate.acquire(undefined);
    gate.onRateLimited(rateLimitReason(100));
    for (let i = 0; i < 15; i++) {
      gate.onSuccess();
      gate.onRateLimited(rateLimitReason(100));
    }
    expect(paced()).toEqual([]);
    for (let i = 0; i < 9; i++) gate.onRateLimited(rateLimitReason(100));
    // the wave's replies are all in: 15 successes in the last second
    expect(paced()).toEqual([15]);
  });

  it('stops counting a request that never got an answer as in flight after 60 s', async () => {
    for (const [silentMs, expected] of [
      [59_000, []], // still waiting for five replies: estimating, nothing reported
      [61_000, [10, 5]],
    ] as const) {
      const { gate, paced } = gateWith({ decreaseFactor: 0.5 });
      for (let i = 0; i < 5; i++) await gate.acquire(undefined); // never answered (aborted)
      await vi.advanceTimersByTimeAsync(silentMs);
      await learnPace(gate, 10, 0);
      // sent after the first 429: fresh unless the five silent requests still count ahead of it
      await vi.advanceTimersByTimeAsync(1000);
      await gate.acquire(undefined);
      gate.onRateLimited(rateLimitReason(0));
      expect(paced()).toEqual(expected);
    }
  });

  it('never goes below minRatePerSec', async () => {
    const { gate, paced } = gateWith({ minRatePerSec: 4, decreaseFactor: 0.1 });
    await learnPace(gate, 10, 0);
    await vi.advanceTimersByTimeAsync(1000);
    await gate.acquire(undefined);
    gate.onRateLimited(rateLimitReason(0));
    expect(paced()).toEqual([10, 4]);
  });
});

describe('budgets', () => {
  it('requestsPerMinute: one second worth at once, then one per step', async () => {
    const { gate } = gateWith({ requestsPerMinute: 600 });
    const start = Date.now();
    const calls = Array.from({ length: 13 }, () => track(gate.acquire(undefined)));
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.map((c) => (c.at ?? Number.NaN) - start)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200, 300,
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('tokensPerMinute: a call waits for its tokens; a large call waits for a full bucket and leaves a debt', async () => {
    const { gate } = gateWith({ tokensPerMinute: 6000 }); // 100 a second, one second held
    const start = Date.now();
    const a = track(gate.acquire(undefined, 60));
    const b = track(gate.acquire(undefined, 60)); // 40 left: waits 200 ms for 20 more
    const c = track(gate.acquire(undefined, 250)); // needs a full bucket (100): 1000 ms later
    const d = track(gate.acquire(undefined, 1)); // behind c's debt of 150: 1510 ms later
    await vi.advanceTimersByTimeAsync(5000);
    expect([a, b, c, d].map((x) => (x.at ?? Number.NaN) - start)).toEqual([0, 200, 1200, 2710]);
  });

  it('estimateTokens prices every call from its declared tokens', async () => {
    const declared: (number | undefined)[] = [];
    const { gate } = gateWith({
      tokensPerMinute: 6000,
      estimateTokens: (tokens) => {
        declared.push(tokens);
        return (tokens ?? 10) + 50;
      },
    });
    const start = Date.now();
    const a = track(gate.acquire(undefined));
    const b = track(gate.acquire(undefined, 20)); // 60 + 70 > 100: waits 300 ms
    await vi.advanceTimersByTimeAsync(1000);
    expect(declared).toEqual([undefined, 20]);
    expect([a, b].map((x) => (x.at ?? Number.NaN) - start)).toEqual([0, 300]);
  });

  it('rejects at once a call larger than the whole token budget, leaving the queue alone', async () => {
    const { gate } = gateWith({ tokensPerMinute: 6000 });
    const waiting = track(gate.acquire(undefined, 100));
    const second = track(gate.acquire(undefined, 100));
    const error = await gate.acquire(undefined, 6001).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitBudgetError);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ tokens: 6001, tokensPerMinute: 6000 });
    expect(String((error as Error).message)).toContain('6001');
    await vi.advanceTimersByTimeAsync(1000);
    expect([waiting.error, second.error]).toEqual([undefined, undefined]);
    // exactly the budget is allowed (it waits for a full bucket and leaves a debt)
    await expect(
      Promise.all([gate.acquire(undefined, 6000), vi.advanceTimersByTimeAsync(2000)]),
    ).resolves.toBeDefined();
  });

  it('rejects a bad token count or a bad estimate with a TypeError naming it', async () => {
    const { gate } = gateWith();
    await expect(gate.acquire(undefined, -1)).rejects.toThrow(/tokens .*got -1/);
    await expect(gate.acquire(undefined, Number.NaN)).rejects.toThrow(/tokens .*got NaN/);
    const estimating = gateWith({
      tokensPerMinute: 100,
      estimateTokens: () => Number.POSITIVE_INFINITY,
    });
    await expect(estimating.gate.acquire(undefined)).rejects.toThrow(
      /rateLimit\.estimateTokens .*got Infinity/,
    );
  });
});

describe('waiting and aborting', () => {
  it('rejects promptly with the signal reason, frees the place and the listener', async () => {
    const { gate } = gateWith({ requestsPerMinute: 60 }); // one at once, then one a second
    const start = Date.now();
    await gate.acquire(undefined);
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const aborted = track(gate.acquire(controller.signal));
    const next = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(300);
    const reason = new Error('total timeout');
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    expect(aborted).toEqual({ at: start + 300, error: reason });
    expect(remove).toHaveBeenCalledTimes(0); // { once: true } removed it when it fired
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
    await vi.advanceTimersByTimeAsync(700);
    // the aborted waiter's place went to the next one
    expect(next.at).toBe(start + 1000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('removes the abort listener of a waiter it releases', async () => {
    const { gate } = gateWith({ requestsPerMinute: 60 });
    await gate.acquire(undefined);
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const released = track(gate.acquire(controller.signal));
    await vi.advanceTimersByTimeAsync(1000);
    expect(released.error).toBeUndefined();
    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0]?.[1]);
    controller.abort(new Error('later'));
    expect(released.error).toBeUndefined();
  });

  it('clears its timer when every waiter has left', async () => {
    const { gate } = gateWith();
    await gate.acquire(undefined);
    gate.onRateLimited(rateLimitReason(10_000));
    const controllers = Array.from({ length: 3 }, () => new AbortController());
    const waiters = controllers.map((c) => track(gate.acquire(c.signal)));
    expect(vi.getTimerCount()).toBe(1);
    for (const c of controllers) c.abort(new Error('gone'));
    await vi.advanceTimersByTimeAsync(0);
    expect(waiters.every((w) => w.error instanceof Error)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('events', () => {
  it('a throwing emit callback changes nothing', async () => {
    const gate = new RateLimitGate({}, () => {
      throw new Error('bad logger');
    });
    await learnPace(gate, 10, 300);
    const start = Date.now();
    const waiters = Array.from({ length: 2 }, () => track(gate.acquire(undefined)));
    await vi.advanceTimersByTimeAsync(500);
    expect(waiters.map((w) => (w.at ?? Number.NaN) - start)).toEqual([300, 400]);
  });
});

describe('the open gate', () => {
  it('adds no abort listener and no timer while nothing limits', async () => {
    const { gate } = gateWith({ requestsPerMinute: 600 });
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    for (let i = 0; i < 10; i++) await gate.acquire(controller.signal);
    expect(add).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    // the eleventh waits for the budget: now it listens
    const waiting = track(gate.acquire(controller.signal));
    expect(add).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(waiting.error).toBeUndefined();
  });
});

describe('the queue', () => {
  it('arms one timer for the head, whoever joins or leaves behind it', async () => {
    const { gate } = gateWith();
    await gate.acquire(undefined);
    gate.onRateLimited(rateLimitReason(10_000));
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    const controllers = Array.from({ length: 20 }, () => new AbortController());
    const waiters = controllers.map((c) => track(gate.acquire(c.signal)));
    for (const c of controllers.slice(1)) c.abort(new Error('gone'));
    await vi.advanceTimersByTimeAsync(0);
    expect(setTimer).toHaveBeenCalledTimes(1);
    expect(waiters.slice(1).every((w) => w.error instanceof Error)).toBe(true);
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(waiters[0]).toEqual({ at: start + 10_000 });
  });

  it('lets the head go at the whole millisecond when a fractional hint leaves less than a microsecond', async () => {
    vi.setSystemTime(1_000);
    const { gate } = gateWith();
    await gate.acquire(undefined);
    gate.onRateLimited(rateLimitReason(100.0005));
    const waiting = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(99);
    expect(waiting.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting).toEqual({ at: 1_100 });
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('what a 429 closes the gate for', () => {
  it.each([
    ['NaN', Number.NaN],
    ['negative', -5],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('ignores a %s hint and closes for backoffMs', async (_, hint) => {
    const { gate, closed } = gateWith({ backoffMs: 300, minRatePerSec: 1000 });
    await gate.acquire(undefined);
    const start = Date.now();
    const reason = rateLimitReason(hint);
    gate.onRateLimited(reason);
    const waiting = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(waiting).toEqual({ at: start + 300 });
    expect(closed()).toEqual([{ type: 'rateLimited', waitMs: 300, reason }]);
  });

  it('reports no rateLimited event for a hint of 0 (the gate never closed)', async () => {
    const { gate, closed, paced } = gateWith();
    await learnPace(gate, 10, 0);
    expect(closed()).toEqual([]);
    expect(paced()).toEqual([10]);
    await expect(gate.acquire(undefined)).resolves.toBeUndefined();
  });
});

describe('how successes raise the pace', () => {
  /** A pace of 10 a second, learned with a hint of 0: the bucket holds one request. */
  async function paced10(options: RateLimitOptions = {}) {
    const g = gateWith(options);
    await learnPace(g.gate, 10, 0);
    expect(g.paced()).toEqual([10]);
    return g;
  }

  it('reports a rise of exactly 10 % and not one just below it', async () => {
    for (const [increasePerSec, expected] of [
      [9.9, [10]], // 10.99
      [10, [10, 11]], // 11: exactly 10 % up
    ] as const) {
      const { gate, paced } = await paced10({ increasePerSec });
      await gate.acquire(undefined);
      const waiting = track(gate.acquire(undefined)); // waits on the pace
      gate.onSuccess();
      expect(paced()).toEqual(expected);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(waiting.error).toBeUndefined();
    }
  });

  it('does not rise when the pace is spent but nobody waits', async () => {
    const { gate, paced } = await paced10({ increasePerSec: 10 });
    for (let i = 0; i < 20; i++) {
      await gate.acquire(undefined); // takes the one token the pace holds
      gate.onSuccess();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(paced()).toEqual([10]);
  });

  it('does not rise while callers wait on the token budget, not on the pace', async () => {
    const { gate, paced } = await paced10({ tokensPerMinute: 6_000, increasePerSec: 10 });
    await vi.advanceTimersByTimeAsync(1_000);
    const waiters = Array.from({ length: 5 }, () => track(gate.acquire(undefined, 100)));
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(500); // the pace has a token; the budget has not
      gate.onSuccess();
    }
    expect(paced()).toEqual([10]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(waiters.every((w) => w.error === undefined)).toBe(true);
  });

  it('a success that raises the pace lets the waiting head go sooner', async () => {
    const { gate, paced } = await paced10({ increasePerSec: 100 });
    const start = Date.now();
    await gate.acquire(undefined);
    const waiting = track(gate.acquire(undefined)); // due at +100 at 10 a second
    await vi.advanceTimersByTimeAsync(50);
    gate.onSuccess(); // 10 + 100 / 10 = 20 a second: the half token missing takes 25 ms
    expect(paced()).toEqual([10, 20]);
    await vi.advanceTimersByTimeAsync(50);
    expect(waiting).toEqual({ at: start + 75 });
  });

  it('lets a learned pace send one second worth at once after an idle second', async () => {
    const { gate } = await paced10();
    await vi.advanceTimersByTimeAsync(1_500); // idle, but not yet long enough to forget the pace
    const start = Date.now();
    const calls = Array.from({ length: 12 }, () => track(gate.acquire(undefined)));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls.map((c) => (c.at ?? Number.NaN) - start)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200,
    ]);
  });
});

describe('after a cut', () => {
  /** A pace of 10 a second cut to 5 (decreaseFactor 0.5) by a fresh 429; returns the gate. */
  async function cutTo5(options: RateLimitOptions = {}) {
    const g = gateWith({ decreaseFactor: 0.5, ...options });
    await learnPace(g.gate, 10, 0);
    await vi.advanceTimersByTimeAsync(1_000);
    await g.gate.acquire(undefined);
    g.gate.onRateLimited(rateLimitReason(0));
    expect(g.paced()).toEqual([10, 5]);
    return g;
  }

  it('regains the cut within about a second of successes, and not one request a second more', async () => {
    const { gate, paced } = await cutTo5({ increasePerSec: 0 });
    await gate.acquire(undefined); // the one token the pace holds after the 429
    const released: number[] = [];
    for (let i = 0; i < 12; i++) {
      const next = track(gate.acquire(undefined)); // waits on the pace
      gate.onSuccess(); // each success adds cut / pace: 5 + 5 / 5 = 6, 6 + 5 / 6 = 6.83, ...
      await vi.advanceTimersToNextTimerAsync();
      expect(next.error).toBeUndefined();
      released.push(next.at ?? Number.NaN);
    }
    // 6, 6.83, 7.57, 8.23, 8.83, 9.4, 9.93, then 10 (the pace it was cut from) and no more;
    // reported when 10 % above the last report
    expect(paced()).toEqual([10, 5, 6, 6.83, 7.57, 8.83, 9.93]);
    const gaps = released.slice(1).map((at, i) => at - (released[i] ?? Number.NaN));
    expect(gaps.slice(-3)).toEqual([100, 100, 100]); // 10 a second
  });

  it('cuts again on a fresh 429 a second after the last cut, not sooner', async () => {
    const { gate, paced } = await cutTo5();
    await gate.acquire(undefined); // sent after the cut: fresh
    await vi.advanceTimersByTimeAsync(999);
    gate.onRateLimited(rateLimitReason(0));
    expect(paced()).toEqual([10, 5]);
    await gate.acquire(undefined);
    await vi.advanceTimersByTimeAsync(1);
    gate.onRateLimited(rateLimitReason(0));
    expect(paced()).toEqual([10, 5, 2.5]);
  });
});

describe('the first estimate', () => {
  it('is not lowered by a 429 that comes back after the meter has emptied', async () => {
    const { gate, paced } = gateWith();
    for (let i = 0; i < 20; i++) await gate.acquire(undefined);
    gate.onRateLimited(rateLimitReason(0)); // 19 replies still expected
    for (let i = 0; i < 15; i++) gate.onSuccess();
    await vi.advanceTimersByTimeAsync(2_000); // no success in the last second any more
    for (let i = 0; i < 4; i++) gate.onRateLimited(rateLimitReason(0));
    expect(paced()).toEqual([15]);
  });
});

describe('token counts', () => {
  it.each([
    ['"5"', '5'],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-0.5', -0.5],
  ])('rejects tokens %s with a TypeError naming it', async (shown, tokens) => {
    const { gate } = gateWith({ tokensPerMinute: 600 });
    await expect(gate.acquire(undefined, tokens as number)).rejects.toThrow(
      new TypeError(`tokens must be a finite number >= 0, got ${shown}`),
    );
  });

  it.each([
    ['"5"', '5'],
    ['NaN', Number.NaN],
    ['-1', -1],
  ])('rejects an estimate of %s with a TypeError naming estimateTokens', async (shown, cost) => {
    const { gate } = gateWith({ tokensPerMinute: 600, estimateTokens: () => cost as number });
    await expect(gate.acquire(undefined, 1)).rejects.toThrow(
      new TypeError(`rateLimit.estimateTokens must return a finite number >= 0, got ${shown}`),
    );
  });

  it('accepts 0 tokens and an estimate of 0, which wait for nothing', async () => {
    const { gate } = gateWith({ tokensPerMinute: 600 });
    await gate.acquire(undefined, 10); // the whole bucket (10 a second)
    await expect(gate.acquire(undefined, 0)).resolves.toBeUndefined();
    const zero = gateWith({ tokensPerMinute: 600, estimateTokens: () => 0 });
    for (let i = 0; i < 3; i++)
      await expect(zero.gate.acquire(undefined, 50)).resolves.toBeUndefined();
  });
});

describe('a lone 429', () => {
  it('closes the gate for its hint and sets no pace: after the hint, calls go at once', async () => {
    const { gate, paced, closed } = gateWith();
    await gate.acquire(undefined);
    gate.onRateLimited(rateLimitReason(100)); // the only request in flight
    const start = Date.now();
    const retry = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(100);
    expect(retry).toEqual({ at: start + 100 });
    gate.onSuccess();
    const burst = Array.from({ length: 20 }, () => track(gate.acquire(undefined)));
    await vi.advanceTimersByTimeAsync(0);
    expect(burst.every((b) => b.at === start + 100)).toBe(true);
    expect(closed()).toHaveLength(1);
    expect(paced()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('followed by a second within forgetAfterMs of the reopening starts a pace, at no less than the hint implies', async () => {
    for (const [gapMs, expected] of [
      [1_999, [10]], // one request per 100 ms hint, though nothing succeeded
      [2_000, []], // quiet long enough: the second 429 is lone too
    ] as const) {
      const { gate, paced } = gateWith();
      await gate.acquire(undefined);
      gate.onRateLimited(rateLimitReason(100));
      await vi.advanceTimersByTimeAsync(100 + gapMs);
      await gate.acquire(undefined);
      gate.onRateLimited(rateLimitReason(100));
      expect(paced()).toEqual(expected);
    }
  });
});

describe('the rate the waits imply', () => {
  it('raises a first estimate below one request per the longest wait of its wave', async () => {
    const { gate, paced } = gateWith();
    for (let i = 0; i < 6; i++) await gate.acquire(undefined);
    for (let i = 0; i < 2; i++) gate.onSuccess(); // 2 a second sustained
    gate.onRateLimited(rateLimitReason(50));
    gate.onRateLimited(rateLimitReason(250)); // the longest: 4 a second
    gate.onRateLimited(rateLimitReason(100));
    expect(paced()).toEqual([]);
    gate.onRateLimited(rateLimitReason(0));
    expect(paced()).toEqual([4]);
  });

  it('does not lower an estimate the successes set higher', async () => {
    const { gate, paced } = gateWith();
    await learnPace(gate, 10, 250);
    expect(paced()).toEqual([10]);
  });

  it('is a guess: its first cut is from the successes of the last second when fewer, else from it', async () => {
    for (const [successes, expected] of [
      [4, [10, 2]], // cut from the 4 a second the server sustained: 4 × 0.5
      [0, [10, 5]], // nothing succeeded in the last second: cut from the guess itself
    ] as const) {
      const { gate, paced } = gateWith({ decreaseFactor: 0.5 });
      for (let i = 0; i < 2; i++) await gate.acquire(undefined);
      gate.onRateLimited(rateLimitReason(100));
      gate.onRateLimited(rateLimitReason(100));
      expect(paced()).toEqual([10]);
      await vi.advanceTimersByTimeAsync(1_000);
      for (let i = 0; i < successes + 1; i++) await gate.acquire(undefined);
      for (let i = 0; i < successes; i++) gate.onSuccess();
      gate.onRateLimited(rateLimitReason(0));
      expect(paced()).toEqual(expected);
    }
  });

  it('a cut of a pace the successes set is from the pace, whatever the last second held', async () => {
    // hint 100 ms: the wait implies exactly the 10 a second the successes set, no guess
    for (const hintMs of [0, 100]) {
      const { gate, paced } = gateWith({ decreaseFactor: 0.5 });
      await learnPace(gate, 10, hintMs);
      await vi.advanceTimersByTimeAsync(1_000);
      for (let i = 0; i < 3; i++) await gate.acquire(undefined);
      for (let i = 0; i < 2; i++) gate.onSuccess();
      gate.onRateLimited(rateLimitReason(0));
      expect(paced()).toEqual([10, 5]);
    }
  });
});

describe('forgetting the pace', () => {
  it('forgets it forgetAfterMs after the gate reopened without a 429, and reports the next one', async () => {
    const { gate, paced } = gateWith({ forgetAfterMs: 3_000 });
    await learnPace(gate, 10, 500);
    const reopened = Date.now() + 500;
    await vi.advanceTimersByTimeAsync(500 + 2_999);
    const paced12 = Array.from({ length: 12 }, () => track(gate.acquire(undefined)));
    await vi.advanceTimersByTimeAsync(0);
    expect(paced12.filter((c) => c.at !== undefined)).toHaveLength(10); // still paced
    await vi.advanceTimersByTimeAsync(1_000);
    for (let i = 0; i < 12; i++) gate.onSuccess();
    expect(Date.now() - reopened).toBeGreaterThanOrEqual(3_000);
    const free = Array.from({ length: 50 }, () => track(gate.acquire(undefined)));
    await vi.advanceTimersByTimeAsync(0);
    expect(free.every((c) => c.at === Date.now())).toBe(true); // unpaced
    expect(vi.getTimerCount()).toBe(0);
    // the next pace is learned afresh, and reported
    for (let i = 0; i < 50; i++) gate.onSuccess();
    for (let i = 0; i < 2; i++) await gate.acquire(undefined);
    gate.onRateLimited(rateLimitReason(0));
    gate.onRateLimited(rateLimitReason(0));
    expect(paced()).toEqual([10, 62]); // the 62 successes of the last second
  });

  it('reports a pace learned again after forgetting, even at the rate last reported', async () => {
    const { gate, paced } = gateWith({ forgetAfterMs: 1_000 });
    await learnPace(gate, 10, 0);
    await vi.advanceTimersByTimeAsync(2_000);
    await learnPace(gate, 10, 0);
    expect(paced()).toEqual([10, 10]);
  });

  it('never with callers queued: the queue drains at the pace, then the pace is forgotten', async () => {
    const { gate } = gateWith({ forgetAfterMs: 1_000, increasePerSec: 0 });
    await learnPace(gate, 10, 0);
    const start = Date.now();
    const queued = Array.from({ length: 30 }, () => track(gate.acquire(undefined)));
    for (let t = 0; t < 2_900; t += 100) {
      await vi.advanceTimersByTimeAsync(100);
      gate.onSuccess(); // successes while callers wait, long after the quiet period began
    }
    // one at once, then one every 100 ms: no release of the whole queue
    expect(queued.map((c) => (c.at ?? Number.NaN) - start)).toEqual(
      Array.from({ length: 30 }, (_, i) => 100 * i),
    );
    expect(vi.getTimerCount()).toBe(0);
    gate.onSuccess(); // nobody waits now
    const free = Array.from({ length: 30 }, () => track(gate.acquire(undefined)));
    await vi.advanceTimersByTimeAsync(0);
    expect(free.every((c) => c.at === Date.now())).toBe(true);
  });

  it('counts the quiet period from the latest reopening, not from the 429', async () => {
    const { gate } = gateWith({ forgetAfterMs: 1_000 });
    await learnPace(gate, 10, 5_000);
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(1_500); // a quiet second since the 429, the gate closed
    const waiting = Array.from({ length: 3 }, () => track(gate.acquire(undefined)));
    await vi.advanceTimersByTimeAsync(4_000);
    // still paced when the gate reopens: one at the reopening, then one per 100 ms
    expect(waiting.map((c) => (c.at ?? Number.NaN) - start)).toEqual([5_000, 5_100, 5_200]);
  });
});

describe('a caller that accepts a bounded wait (maxWaitMs)', () => {
  it('holdMs estimates the wait behind the queue, the budget and the closure', async () => {
    const { gate } = gateWith({ requestsPerMinute: 600 }); // 10 at once, then one per 100 ms
    expect(gate.holdMs()).toBe(0);
    for (let i = 0; i < 10; i++) await gate.acquire(undefined);
    expect(gate.holdMs()).toBeCloseTo(100, 6);
    const queued = [track(gate.acquire(undefined)), track(gate.acquire(undefined))];
    expect(gate.holdMs()).toBeCloseTo(300, 6); // behind the two waiting
    gate.onRateLimited(rateLimitReason(2_000));
    expect(gate.holdMs()).toBeGreaterThanOrEqual(2_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(queued.map((q) => q.error)).toEqual([undefined, undefined]);
    expect(() => gate.holdMs(-1)).toThrow(TypeError);
  });

  it('is refused at once, without taking budget, when the wait would be longer', async () => {
    const { gate } = gateWith({ requestsPerMinute: 60 }); // one a second
    await gate.acquire(undefined, undefined, 0);
    const start = Date.now();
    const error = await gate.acquire(undefined, undefined, 500).catch((e: unknown) => e);
    expect(Date.now()).toBe(start);
    expect(error).toBeInstanceOf(RateLimitHoldError);
    expect(error).toMatchObject({ waitMs: 1_000, maxWaitMs: 500 });
    expect((error as Error).message).toBe(
      'rateLimit: the gate would hold this call 1000 ms, longer than its maxWaitMs 500; no request was sent',
    );
    // A caller that accepts the wait is held, and the refused one took nothing from the budget.
    const patient = track(gate.acquire(undefined, undefined, 1_000));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(patient).toEqual({ at: start + 1_000 });
  });

  it('is refused while waiting when a 429 makes its wait longer; the others keep their place', async () => {
    const { gate } = gateWith({ requestsPerMinute: 60 });
    await gate.acquire(undefined);
    const start = Date.now();
    const bounded = track(gate.acquire(undefined, undefined, 1_500));
    const patient = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(100);
    gate.onRateLimited(rateLimitReason(5_000));
    await vi.advanceTimersByTimeAsync(0);
    expect(bounded.at).toBe(start + 100);
    expect(bounded.error).toBeInstanceOf(RateLimitHoldError);
    expect(patient.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(patient).toEqual({ at: start + 5_100 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is held when the wait fits, and the learned pace counts', async () => {
    const { gate } = gateWith();
    await learnPace(gate, 10, 100); // 10 a second, the gate closed for 100 ms
    const start = Date.now();
    expect(gate.holdMs()).toBeCloseTo(100, 6);
    await expect(gate.acquire(undefined, undefined, 50)).rejects.toBeInstanceOf(RateLimitHoldError);
    const fits = track(gate.acquire(undefined, undefined, 100));
    expect(gate.holdMs()).toBeGreaterThan(100); // behind it, one step of the pace later
    await vi.advanceTimersByTimeAsync(100);
    expect(fits).toEqual({ at: start + 100 });
  });
});

describe('RateLimitHoldError', () => {
  it('is classified rate_limit: retryable, no breaker failure, no status (nothing was sent)', () => {
    const reason = classifyError(new RateLimitHoldError(1_200, 0));
    expect(reason).toMatchObject({ kind: 'rate_limit', retryable: true, breakerFailure: false });
    expect(reason.status).toBeUndefined();
    expect(reason.retryAfterMs).toBeUndefined();
    expect(reason.message).toMatch(/^RateLimitHoldError: .*1200 ms.*maxWaitMs 0/);
    // Across copies of the package: the marker, not the class, decides.
    const copy = Object.assign(new Error('held'), { isLlmResilienceRateLimitHold: true });
    expect(classifyError(copy).kind).toBe('rate_limit');
  });
});

describe('a bounded wait through a 429 and reported usage', () => {
  it.each([
    [1_000, 1_000],
    [1_001_000.001 - 1_000_000, 1_001],
  ])(
    'is held through a 429 that closes the gate until the very end of its wait (hint %s ms)',
    async (hint, releasedAfter) => {
      vi.setSystemTime(1_000_000);
      const { gate } = gateWith({ tokensPerMinute: 60_000 }); // 1,000 tokens at once, then one a ms
      await gate.acquire(undefined, 1_000);
      const held = track(gate.acquire(undefined, 1_000, 1_000));
      gate.onRateLimited(rateLimitReason(hint));
      await vi.advanceTimersByTimeAsync(0);
      expect(held).toEqual({});
      await vi.advanceTimersByTimeAsync(releasedAfter);
      expect(held).toEqual({ at: 1_000_000 + releasedAfter });
    },
  );

  it('a waiter refused after a 429 leaves no timer and no abort listener behind', async () => {
    const { gate } = gateWith({ requestsPerMinute: 60 });
    await gate.acquire(undefined);
    const controller = new AbortController();
    const bounded = track(gate.acquire(controller.signal, undefined, 1_500));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    gate.onRateLimited(rateLimitReason(5_000));
    await vi.advanceTimersByTimeAsync(0);
    expect(bounded.error).toBeInstanceOf(RateLimitHoldError);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a 429 refuses a waiter whose tokens, behind those of the callers ahead, now take too long', async () => {
    const { gate } = gateWith({ tokensPerMinute: 60_000 });
    await gate.acquire(undefined, 1_000);
    const ahead = track(gate.acquire(undefined, 500));
    const bounded = track(gate.acquire(undefined, 500, 1_000)); // 500 ms ahead, then its own 500
    gate.onUsage(1_500, 1_000); // 500 tokens more than declared: 1,500 ms now
    gate.onRateLimited(rateLimitReason(0));
    await vi.advanceTimersByTimeAsync(0);
    expect(bounded.error).toBeInstanceOf(RateLimitHoldError);
    expect(bounded.error).toMatchObject({ waitMs: 1_500, maxWaitMs: 1_000 });
    expect(ahead).toEqual({});
  });

  it('holdMs counts the tokens of the callers waiting ahead', async () => {
    const { gate } = gateWith({ tokensPerMinute: 60_000 });
    await gate.acquire(undefined, 1_000);
    track(gate.acquire(undefined, 500));
    expect(gate.holdMs(500)).toBeCloseTo(1_000, 6);
  });

  it('holdMs neither forgets the pace while callers wait nor keeps it once they have gone', async () => {
    const { gate } = gateWith({ forgetAfterMs: 1_000, increasePerSec: 0 });
    await learnPace(gate, 10, 0);
    const start = Date.now();
    const queued = Array.from({ length: 20 }, () => track(gate.acquire(undefined)));
    for (let t = 0; t < 1_900; t += 100) {
      await vi.advanceTimersByTimeAsync(100);
      gate.holdMs();
    }
    expect(queued.map((c) => (c.at ?? Number.NaN) - start)).toEqual(
      Array.from({ length: 20 }, (_, i) => 100 * i),
    );
    expect(gate.holdMs()).toBe(0);
  });
});

describe('correcting tokensPerMinute by usage', () => {
  it('charges a declared call only the difference between its usage and its declared tokens', async () => {
    const { gate } = gateWith({ tokensPerMinute: 60_000 });
    await gate.acquire(undefined, 500);
    gate.onUsage(500, 500);
    expect(gate.holdMs(500)).toBe(0);
    gate.onUsage(800, 500);
    expect(gate.holdMs(500)).toBeCloseTo(300, 6);
  });

  it('with estimateTokens, charges a call only the difference between its usage and its estimate', async () => {
    const { gate } = gateWith({ tokensPerMinute: 60_000, estimateTokens: () => 500 });
    await gate.acquire(undefined);
    gate.onUsage(500, undefined);
    expect(gate.holdMs()).toBe(0);
  });

  it('gives the whole declared charge back for a usage of 0', async () => {
    const { gate } = gateWith({ tokensPerMinute: 60_000 });
    await gate.acquire(undefined, 1_000);
    gate.onUsage(0, 1_000);
    expect(gate.holdMs(1_000)).toBe(0);
  });

  it('charges in full the usage of a call that was charged nothing', () => {
    const { gate } = gateWith({ tokensPerMinute: 60_000 });
    gate.onUsage(400, undefined);
    expect(gate.holdMs(1_000)).toBeCloseTo(400, 6);
  });

  it('ignores a usage that is negative, infinite or not a number', async () => {
    const { gate } = gateWith({ tokensPerMinute: 60_000 });
    await gate.acquire(undefined, 500);
    for (const usage of [-1, Number.POSITIVE_INFINITY, Number.NaN]) gate.onUsage(usage, 500);
    expect(gate.holdMs(1_000)).toBeCloseTo(500, 6);
  });

  it('ignores the usage of a call whose declared tokens it cannot price', async () => {
    const { gate } = gateWith({ tokensPerMinute: 60_000 });
    await gate.acquire(undefined, 500);
    gate.onUsage(300, 1e9);
    gate.onUsage(300, -1);
    expect(gate.holdMs(1_000)).toBeCloseTo(500, 6);
  });
});

describe('charging policy.fetch estimates to tokensPerMinute', () => {
  it('charges nothing without tokensPerMinute or without an estimate', () => {
    expect(gateWith().gate.requestSent({ input: 100, output: 900 }).budgetCharge).toBe(0);
    const { gate } = gateWith({ tokensPerMinute: 60_000 });
    expect(gate.requestSent(undefined).budgetCharge).toBe(0);
    expect(gate.holdMs(1_000)).toBe(0);
  });

  it('charges the estimate, at most the whole budget, and gives it back when no success comes', () => {
    const { gate } = gateWith({ tokensPerMinute: 60_000 });
    const sent = gate.requestSent({ input: 60, output: 40 });
    expect(sent.budgetCharge).toBe(100);
    expect(gate.holdMs(1_000)).toBeCloseTo(100, 6);
    gate.onReply(sent, undefined);
    expect(gate.holdMs(1_000)).toBe(0);
    const failed = gate.requestSent({ input: 60, output: 40 });
    gate.onReply(failed, { ok: false, limits: undefined });
    expect(gate.holdMs(1_000)).toBe(0);
    expect(gate.requestSent({ input: 100_000, output: 0 }).budgetCharge).toBe(60_000);
  });

  it('does not charge the estimate of a call that declared tokens or is priced by estimateTokens', async () => {
    const declaring = gateWith({ tokensPerMinute: 60_000 }).gate;
    declaring.onReply(declaring.requestSent(undefined), { ok: true, limits: undefined });
    await declaring.acquire(undefined, 500);
    expect(declaring.requestSent({ input: 400, output: 0 }).budgetCharge).toBe(0);
    expect(declaring.holdMs(500)).toBe(0);
    const estimating = gateWith({ tokensPerMinute: 60_000, estimateTokens: () => 500 }).gate;
    await estimating.acquire(undefined);
    expect(estimating.requestSent({ input: 400, output: 0 }).budgetCharge).toBe(0);
    expect(estimating.holdMs()).toBe(0);
  });

  it('corrects each success by its usage, oldest charge first, skipping requests charged nothing', () => {
    const { gate } = gateWith({ tokensPerMinute: 60_000 });
    const uncharged = gate.requestSent(undefined);
    const charged = gate.requestSent({ input: 500, output: 0 });
    gate.onReply(uncharged, { ok: true, limits: undefined });
    gate.onReply(charged, { ok: true, limits: undefined });
    gate.onUsage(500, undefined);
    expect(gate.holdMs(500)).toBe(0);
  });

  it('keeps the last 1,024 charges awaiting their usage, forgetting older ones', () => {
    const { gate } = gateWith({ tokensPerMinute: 60_000 });
    for (let i = 1; i <= 1_025; i++) {
      const sent = gate.requestSent({ input: Math.min(i, 3), output: 0 });
      gate.onReply(sent, { ok: true, limits: undefined });
    }
    const before = gate.holdMs(1_000);
    gate.onUsage(0, undefined); // gives back the oldest charge kept: the second request's 2
    expect(before - gate.holdMs(1_000)).toBeCloseTo(2, 6);
  });
});
