import { BrokenCircuitError, CircuitState } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import { classifyError, createPolicy, type PolicyOptions } from '../../src/index.js';
import type { EnterAnswer, LeaveAnswer } from '../../src/store/PolicyStore.js';
import {
  hangUntilAborted,
  httpError,
  outcome,
  recordEvents,
  useFakeClock,
} from '../support/pipeline.js';
import { CLOSED, LEFT } from '../support/storeAnswers.js';
import { writtenStore } from '../support/writtenStore.js';

// The circuit breaker's side of a store, against a store whose answers the test writes.

useFakeClock();

const BREAKER = { consecutiveFailures: 2, halfOpenAfterMs: 1_000, maxHalfOpenAfterMs: 8_000 };
/** What the breaker sends the store with each operation for {@link BREAKER}. */
const SETTINGS = {
  consecutiveFailures: 2,
  failureRatio: 0,
  minimumCalls: 0,
  samplingMs: 0,
  halfOpenAfterMs: 1_000,
  maxHalfOpenAfterMs: 8_000,
  probeLeaseMs: 30_000,
};

const verdict = (breaker: EnterAnswer['breaker'], breakerForMs = 0): EnterAnswer => ({
  ...CLOSED,
  breaker,
  breakerForMs,
});
const left = (breaker: LeaveAnswer['breaker']): LeaveAnswer => ({ ...LEFT, breaker });

/** A policy with the breaker shared through a written store, and the events it reports. */
function sharedBreaker(options: PolicyOptions = {}) {
  const { store, state } = writtenStore();
  const policy = createPolicy({ name: 'b', store, circuitBreaker: BREAKER, ...options });
  const events = recordEvents(policy);
  const breakerEvents = () =>
    events.filter(([name]) => name === 'break' || name === 'halfOpen' || name === 'reset');
  return { policy, state, events, breakerEvents };
}

const failing = (error: unknown) => () => Promise.reject(error);

describe('a circuit breaker shared through a store', () => {
  it('sends its settings with each way in, the trial lease at least 30 s', async () => {
    const consecutive = sharedBreaker();
    await consecutive.policy.execute(() => 1);
    expect(consecutive.state.entered).toEqual([{ breaker: SETTINGS }]);
    const sampling = sharedBreaker({
      circuitBreaker: {
        failureRatio: 0.5,
        minimumCalls: 4,
        samplingMs: 10_000,
        halfOpenAfterMs: 60_000,
      },
    });
    await sampling.policy.execute(() => 1);
    expect(sampling.state.entered).toEqual([
      {
        breaker: {
          consecutiveFailures: 0,
          failureRatio: 0.5,
          minimumCalls: 4,
          samplingMs: 10_000,
          halfOpenAfterMs: 60_000,
          maxHalfOpenAfterMs: 60_000,
          probeLeaseMs: 60_000,
        },
      },
    ]);
  });

  it("sends the breaker's settings with the gate's way in when the policy has both", async () => {
    const { policy, state } = sharedBreaker({ rateLimit: {} });
    await policy.execute(() => 1);
    expect(state.entered).toHaveLength(1);
    expect(state.entered[0]).toMatchObject({ breaker: SETTINGS });
  });

  it('says isolated while isolated by hand, whatever the fleet says', async () => {
    const { policy } = sharedBreaker();
    await policy.execute(() => 1);
    const isolation = policy.circuitBreaker?.isolate();
    expect(policy.circuitState).toBe('isolated');
    isolation?.dispose();
    expect(policy.circuitState).toBe('closed');
  });

  it('leaves the opening to the fleet while the store answers, counting failures all the same', async () => {
    const { policy, state, breakerEvents } = sharedBreaker();
    for (let i = 0; i < 3; i++) await outcome(policy.execute(failing(httpError(503))));
    expect(breakerEvents()).toEqual([]);
    expect(policy.circuitBreaker?.state).toBe(CircuitState.Closed);
    expect(policy.circuitBreaker?.toJSON()).toMatchObject({ breakerState: 3 });
    await policy.execute(() => 1);
    expect(policy.circuitBreaker?.toJSON()).toMatchObject({ breakerState: 0 });
    expect(state.left).toHaveLength(4);
  });

  it('goes on in-process when the store does not answer the way in', async () => {
    const { policy, state } = sharedBreaker();
    state.down = true;
    await expect(policy.execute(() => 'alone')).resolves.toBe('alone');
    expect(state.entered).toHaveLength(1);
    expect(state.left).toEqual([]);
  });

  it("reports each attempt's outcome on its way out, with the failure's wait hint", async () => {
    const { policy, state } = sharedBreaker();
    await policy.execute(() => 1);
    await outcome(policy.execute(failing(httpError(503, { retryAfterMs: 2_000 }))));
    await outcome(policy.execute(failing(httpError(400))));
    expect(state.left).toEqual([
      { sentAt: 1, breaker: { ...SETTINGS, outcome: 'success', probe: false, hintMs: -1 } },
      { sentAt: 1, breaker: { ...SETTINGS, outcome: 'failure', probe: false, hintMs: 2_000 } },
      { sentAt: 1, breaker: { ...SETTINGS, outcome: 'success', probe: false, hintMs: -1 } },
    ]);
  });

  it('sends no way out for an attempt the fleet refused or the caller aborted, but one for an aborted trial', async () => {
    const { policy, state } = sharedBreaker();
    state.enter = verdict('open', 1_000);
    const fn = vi.fn(() => 1);
    expect((await outcome(policy.execute(fn))).error).toBeInstanceOf(BrokenCircuitError);
    expect(fn).not.toHaveBeenCalled();
    const abortedWith = async (answer: EnterAnswer) => {
      state.enter = answer;
      const controller = new AbortController();
      const call = outcome(
        policy.execute(({ signal }) => hangUntilAborted(signal), controller.signal),
      );
      await vi.advanceTimersByTimeAsync(0);
      controller.abort();
      return (await call).error;
    };
    expect(await abortedWith(CLOSED)).toBeDefined();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.left).toEqual([]);
    expect(await abortedWith(verdict('probe'))).toBeDefined();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.left).toEqual([
      { sentAt: 1, breaker: { ...SETTINGS, outcome: 'none', probe: true, hintMs: -1 } },
    ]);
  });

  it("gives the fleet's trial back at once when its own breaker, isolated by hand, refuses it", async () => {
    const { policy, state } = sharedBreaker();
    const isolation = policy.circuitBreaker?.isolate();
    state.enter = verdict('probe');
    const fn = vi.fn(() => 1);
    expect((await outcome(policy.execute(fn))).error).toBeInstanceOf(BrokenCircuitError);
    await vi.advanceTimersByTimeAsync(0);
    expect(fn).not.toHaveBeenCalled();
    expect(state.left).toEqual([
      { sentAt: 1, breaker: { ...SETTINGS, outcome: 'none', probe: true, hintMs: -1 } },
    ]);
    isolation?.dispose();
  });

  it("follows the fleet's breaker as the ways in tell it: open, its trial, closed", async () => {
    const { policy, state, breakerEvents } = sharedBreaker();
    state.enter = verdict('open', 1_234.6);
    await outcome(policy.execute(() => 1));
    expect(policy.circuitState).toBe('open');
    expect(policy.circuitHalfOpenAt).toBe(Date.now() + 1_234.6);
    state.enter = verdict('open', 500);
    await outcome(policy.execute(() => 1));
    expect(policy.circuitHalfOpenAt).toBe(Date.now() + 500);
    expect(breakerEvents()).toEqual([['break', { policy: 'b', openMs: 1_235 }]]);
    state.enter = verdict('probe');
    const seen: string[] = [];
    await policy.execute(() => seen.push(policy.circuitState));
    expect(seen).toEqual(['halfOpen']);
    state.enter = CLOSED;
    await policy.execute(() => 1);
    await policy.execute(() => 1);
    expect(policy.circuitState).toBe('closed');
    expect(breakerEvents().slice(1)).toEqual([
      ['halfOpen', { policy: 'b' }],
      ['reset', { policy: 'b' }],
    ]);
  });

  it("waits for the fleet's trial call, asking again every 50 ms at most", async () => {
    const { policy, state } = sharedBreaker();
    state.enter = verdict('halfOpen', 10_000);
    const fn = vi.fn(() => 'after the trial');
    const call = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(0);
    expect(policy.circuitState).toBe('halfOpen');
    await vi.advanceTimersByTimeAsync(49);
    expect(state.entered).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.entered).toEqual([{ breaker: SETTINGS }, { breaker: SETTINGS }]);
    expect(fn).not.toHaveBeenCalled();
    state.enter = CLOSED;
    await vi.advanceTimersByTimeAsync(50);
    expect(await call).toEqual({ value: 'after the trial' });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("goes on in-process when the store stops answering while the call waits for the fleet's trial", async () => {
    const { policy, state } = sharedBreaker();
    state.enter = verdict('halfOpen', 10_000);
    const call = outcome(policy.execute(() => 'alone'));
    await vi.advanceTimersByTimeAsync(0);
    state.down = true;
    await vi.advanceTimersByTimeAsync(50);
    expect(await call).toEqual({ value: 'alone' });
  });

  it("holds the retry until the fleet's trial when the fleet's breaker refuses the attempt", async () => {
    const { policy, state, events } = sharedBreaker({
      retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 60_000 },
    });
    state.enter = verdict('open', 1_000);
    const fn = vi.fn(() => 'ok');
    const call = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(0);
    state.enter = CLOSED;
    await vi.advanceTimersByTimeAsync(999);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(await call).toEqual({ value: 'ok' });
    expect(events.find(([name]) => name === 'retry')?.[1]).toMatchObject({ delayMs: 1_000 });
  });

  it("reports the fleet's breaker opening on an attempt's way out, with the failure that opened it", async () => {
    const { policy, state, breakerEvents } = sharedBreaker();
    const error = httpError(503);
    state.leave = left({ opened: 4_000 });
    await outcome(policy.execute(failing(error)));
    await vi.advanceTimersByTimeAsync(0);
    expect(policy.circuitState).toBe('open');
    expect(policy.circuitHalfOpenAt).toBe(Date.now() + 4_000);
    state.leave = left({ opened: 2_000 });
    await policy.execute(() => 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(breakerEvents()).toStrictEqual([
      ['break', { policy: 'b', reason: classifyError(error), openMs: 4_000 }],
      ['reset', { policy: 'b' }],
      ['break', { policy: 'b', openMs: 2_000 }],
    ]);
  });

  it("reports the fleet's breaker closing on its trial's way out, once", async () => {
    const { policy, state, breakerEvents } = sharedBreaker();
    state.enter = verdict('probe');
    state.leave = left('reset');
    await policy.execute(() => 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(policy.circuitState).toBe('closed');
    const closed = [
      ['halfOpen', { policy: 'b' }],
      ['reset', { policy: 'b' }],
    ];
    expect(breakerEvents()).toEqual(closed);
    state.enter = CLOSED;
    await policy.execute(() => 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(state.left).toHaveLength(2);
    expect(breakerEvents()).toEqual(closed);
  });

  it('takes a way out that changed nothing with the retry it asks the budget for', async () => {
    const { policy, state } = sharedBreaker({
      retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 60_000 },
      retryBudget: {},
    });
    state.leave = { ...LEFT, retryGranted: true };
    let tries = 0;
    const call = outcome(policy.execute(() => (++tries === 1 ? failing(httpError(503))() : 'ok')));
    await vi.advanceTimersByTimeAsync(10);
    expect(await call).toEqual({ value: 'ok' });
    await vi.runAllTimersAsync();
    expect(state.left[0]).toMatchObject({
      breaker: { outcome: 'failure' },
      retryBudget: { withdraw: true },
    });
  });

  it("leaves cockatiel's policy alone while it is closed, and reports its own openings again once it followed the fleet", async () => {
    const { policy, state, breakerEvents } = sharedBreaker();
    const changes: CircuitState[] = [];
    policy.circuitBreaker?.onStateChange((change) => changes.push(change));
    await policy.execute(() => 1);
    expect(changes).toEqual([]);
    const openAlone = async () => {
      state.down = true;
      for (let i = 0; i < 2; i++) await outcome(policy.execute(failing(httpError(503))));
      expect(policy.circuitState).toBe('open');
    };
    await openAlone();
    state.down = false;
    await vi.advanceTimersByTimeAsync(300);
    await outcome(policy.execute(() => 1)); // the ping is under way: in-process, refused
    await expect(policy.execute(() => 'shared')).resolves.toBe('shared');
    expect(policy.circuitState).toBe('closed');
    await openAlone();
    expect(breakerEvents().map(([name]) => name)).toEqual(['break', 'break']);
  });
});
