import { BrokenCircuitError, wrap } from 'cockatiel';
import { APIUserAbortError } from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { createPolicy, RateLimitHoldError } from '../../src/index.js';
import { llmCircuitBreaker } from '../../src/pipeline/llmCircuitBreaker.js';
import { rateLimitGate } from '../../src/pipeline/rateLimitGate.js';
import {
  httpError,
  learnPaceThrough,
  outcome,
  recordEvents,
  useFakeClock,
} from '../support/pipeline.js';
import { CLOSED, LEFT } from '../support/storeAnswers.js';
import { writtenStore } from '../support/writtenStore.js';

// The rate-limit stage's side of a store, against a store whose answers the test writes.

useFakeClock();

const realSetImmediate = setImmediate;
/** Resolves once every promise callback pending now has run, without running a (fake) timer. */
const promisesSettled = () => new Promise((resolve) => realSetImmediate(resolve));

const BREAKER = { consecutiveFailures: 5, halfOpenAfterMs: 1_000 };

/** The gate's settings as the stage sends them, with the fleet's budgets given. */
const settings = (requestsPerMinute: number, tokensPerMinute: number) => ({
  requestsPerMinute,
  tokensPerMinute,
  increasePerSec: expect.any(Number),
  decreaseFactor: expect.any(Number),
  minRatePerSec: expect.any(Number),
  forgetAfterMs: expect.any(Number),
  backoffMs: expect.any(Number),
  maxWaitMs: expect.any(Number),
});

describe('the rate-limit stage with a store', () => {
  it('names rateLimit.store for a store that is not a PolicyStore', () => {
    expect(() => rateLimitGate({ store: {} as never })).toThrow(
      new TypeError(
        'rateLimit.store must be a PolicyStore (createRedisStore() of llm-resilience/redis), got an object',
      ),
    );
  });

  it('waits the wait the store names, to the millisecond, without a timer for none, and tells the store whether calls of this process wait', async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({ name: 'backlog', store, rateLimit: {} });
    state.enter = { ...CLOSED, waitMs: 1_000 };
    const sent: string[] = [];
    const waiting = policy.execute(() => sent.push('waiting'));
    await vi.advanceTimersByTimeAsync(0);
    state.enter = CLOSED;
    const meanwhile = policy.execute(() => sent.push('meanwhile'));
    await promisesSettled();
    expect(sent).toEqual(['meanwhile']);
    await meanwhile;
    await vi.advanceTimersByTimeAsync(999);
    expect(sent).toEqual(['meanwhile']);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    state.enter = { ...CLOSED, waitMs: 1 };
    const short = policy.execute(() => sent.push('short'));
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['meanwhile', 'waiting']);
    await vi.advanceTimersByTimeAsync(1);
    await short;
    expect(sent).toEqual(['meanwhile', 'waiting', 'short']);
    expect(state.left.map((report) => report.gate?.backlogged)).toEqual([true, false, false]);
  });

  it("asks the store for a place with the gate's budgets, the call's cost and its maxWaitMs", async () => {
    const { store, state } = writtenStore();
    const budgets = createPolicy({
      name: 'in',
      store,
      rateLimit: { requestsPerMinute: 600, tokensPerMinute: 60_000 },
    });
    await budgets.execute(() => 1, { tokens: 100, maxWaitMs: 500 });
    await createPolicy({ name: 'in', store, rateLimit: {} }).execute(() => 1);
    expect(state.entered).toStrictEqual([
      { gate: { ...settings(600, 60_000), cost: 100, refuseAboveMs: 500 } },
      { gate: { ...settings(0, 0), cost: 0, refuseAboveMs: -1 } },
    ]);
  });

  it('reports a 429 on the way out as rateLimited with its hint, any other answer as answered', async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({ name: 'out', store, rateLimit: {} });
    const events = recordEvents(policy);
    await policy.execute(() => 'ok');
    const limited = httpError(429, { retryAfterMs: 2_000 });
    await expect(policy.execute(() => Promise.reject(limited))).rejects.toBe(limited);
    const failed = httpError(500);
    await expect(policy.execute(() => Promise.reject(failed))).rejects.toBe(failed);
    const gate = (outcome: string, hintMs: number) => ({
      sentAt: 1,
      gate: { ...settings(0, 0), outcome, hintMs, backlogged: false },
    });
    expect(state.left).toStrictEqual([
      gate('answered', -1),
      gate('rateLimited', 2_000),
      gate('answered', -1),
    ]);
    expect(events.filter(([name]) => name === 'rateLimited')).toEqual([
      ['rateLimited', expect.objectContaining({ waitMs: 2_000 })],
    ]);
  });

  it('sends no way out for an attempt that got no answer, but for the fleet’s trial call', async () => {
    const { store, state } = writtenStore();
    const gateOnly = createPolicy({ name: 'aborted', store, rateLimit: {} });
    const withBreaker = createPolicy({
      name: 'aborted',
      store,
      rateLimit: {},
      circuitBreaker: BREAKER,
    });
    const aborted = () => Promise.reject(new APIUserAbortError());
    await expect(gateOnly.execute(aborted)).rejects.toBeInstanceOf(APIUserAbortError);
    await expect(withBreaker.execute(aborted)).rejects.toBeInstanceOf(APIUserAbortError);
    expect(state.left).toEqual([]);
    state.enter = { ...CLOSED, breaker: 'probe', breakerForMs: 30_000 };
    await expect(withBreaker.execute(aborted)).rejects.toBeInstanceOf(APIUserAbortError);
    expect(state.left).toStrictEqual([
      { sentAt: 1, breaker: expect.objectContaining({ outcome: 'none', probe: true }) },
    ]);
  });

  it('gives up as wait_too_long without a retry when the store refuses the call a place', async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({
      name: 'refused',
      store,
      rateLimit: {},
      retry: { maxRetries: 3, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 60_000 },
    });
    const events = recordEvents(policy);
    state.enter = { ...CLOSED, waitMs: 5_000, refused: true };
    const fn = vi.fn(() => 'sent');
    const refused = outcome(policy.execute(fn, { maxWaitMs: 100 }));
    await vi.runAllTimersAsync();
    expect((await refused).error).toBeInstanceOf(RateLimitHoldError);
    expect(fn).not.toHaveBeenCalled();
    expect(state.entered).toHaveLength(1);
    expect(events.filter(([name]) => name === 'retry' || name === 'giveUp')).toEqual([
      ['giveUp', expect.objectContaining({ why: 'wait_too_long', attempts: 1 })],
    ]);
  });

  it("waits the store's wait before the fleet's trial call", async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({ name: 'probe', store, rateLimit: {}, circuitBreaker: BREAKER });
    state.enter = { ...CLOSED, breaker: 'probe', breakerForMs: 30_000, waitMs: 500 };
    const fn = vi.fn(() => 'trial');
    const trial = policy.execute(fn);
    await vi.advanceTimersByTimeAsync(499);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await expect(trial).resolves.toBe('trial');
  });

  it("fails at once, without the store's wait, an attempt the fleet's open breaker refuses", async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({ name: 'open', store, rateLimit: {}, circuitBreaker: BREAKER });
    state.enter = { ...CLOSED, breaker: 'open', breakerForMs: 30_000, waitMs: 2_000 };
    const fn = vi.fn(() => 'sent');
    const refused = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(0);
    expect((await refused).error).toBeInstanceOf(BrokenCircuitError);
    state.enter = { ...state.enter, refused: true };
    await expect(policy.execute(fn, { maxWaitMs: 100 })).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(fn).not.toHaveBeenCalled();
  });

  it('sends no request for a call aborted while the store placed it', async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({ name: 'abort', store, rateLimit: {} });
    let answer = () => {};
    state.entering = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const controller = new AbortController();
    const fn = vi.fn(() => 'sent');
    const aborted = outcome(policy.execute(fn, controller.signal));
    await vi.advanceTimersByTimeAsync(0);
    controller.abort();
    answer();
    await vi.advanceTimersByTimeAsync(0);
    expect((await aborted).error).toBe(controller.signal.reason);
    expect(fn).not.toHaveBeenCalled();
    expect(state.left).toEqual([]);
  });

  it('keeps its own requestsPerMinute burst for when it is alone while the fleet let it go at once', async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({ name: 'burst', store, rateLimit: { requestsPerMinute: 600 } });
    await policy.execute(() => 'shared');
    state.down = true;
    let sent = 0;
    const alone = Array.from({ length: 10 }, () => policy.execute(() => ++sent));
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toBe(10);
    await Promise.all(alone);
  });

  it("holds a rate-limited attempt's retry until the fleet's gate reopens, as the store last said", async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({
      name: 'closed',
      store,
      rateLimit: {},
      retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 60_000 },
    });
    const events = recordEvents(policy);
    let fail = (_error: unknown) => {};
    let tries = 0;
    const inFlight = policy.execute(() =>
      ++tries === 1
        ? new Promise((_resolve, reject) => {
            fail = reject;
          })
        : 'ok',
    );
    await vi.advanceTimersByTimeAsync(0);
    // Another process's 429 has closed the fleet's gate for 5 s: a way out meanwhile hears it.
    state.leave = { ...LEFT, closedForMs: 5_000 };
    await policy.execute(() => 'meanwhile');
    await vi.advanceTimersByTimeAsync(0);
    fail(httpError(429, { retryAfterMs: 100 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(events.find(([name]) => name === 'retry')).toEqual([
      'retry',
      expect.objectContaining({ delayMs: 5_000 }),
    ]);
    await vi.runAllTimersAsync();
    await expect(inFlight).resolves.toBe('ok');
  });

  it("reports a fall of the fleet's pace at once, a rise once it is 10% above the last reported", async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({ name: 'pace', store, rateLimit: {} });
    const paced: number[] = [];
    policy.events.on('paced', (e) => paced.push(e.ratePerSec));
    const pace = async (paceRatePerSec: number) => {
      state.enter = { ...CLOSED, paceRatePerSec };
      await policy.execute(() => 'ok');
    };
    for (const rate of [4, 2, 2.1, 3, 3 * 1.1]) await pace(rate);
    expect(paced).toEqual([4, 2, 3, 3.3]);
  });

  it("reports the fleet's pace only, never the process's own", async () => {
    const { store } = writtenStore();
    const policy = createPolicy({ name: 'own', store, rateLimit: {} });
    const events = recordEvents(policy);
    await learnPaceThrough(policy);
    expect(events.filter(([name]) => name === 'paced')).toEqual([]);
  });

  it('leaves a breaker given the store in your own wrap() its own round trips', async () => {
    const { store, state } = writtenStore();
    const policy = wrap(
      rateLimitGate({ name: 'wrapped', store }),
      llmCircuitBreaker({ name: 'wrapped', store, ...BREAKER }),
    );
    await expect(policy.execute(() => 'ok')).resolves.toBe('ok');
    expect(state.entered.map((request) => Object.keys(request))).toEqual([['gate'], ['breaker']]);
    expect(state.left.map((report) => Object.keys(report))).toEqual([
      ['sentAt', 'breaker'],
      ['sentAt', 'gate'],
    ]);
  });
});
