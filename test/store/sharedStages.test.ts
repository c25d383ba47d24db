import { describe, expect, it } from 'vitest';
import { createPolicy, llmRetry, type PolicyEvent, RateLimitHoldError } from '../../src/index.js';
import { CLOSED, LEFT } from '../support/storeAnswers.js';
import { writtenStore } from '../support/writtenStore.js';

// The stages' side of a store, against a store whose answers the test writes (the Redis store
// itself is tested against real redis-servers in test/redis).

const failure = () => Promise.reject(Object.assign(new Error('down'), { status: 503 }));

describe('the stages with a store', () => {
  it('refuse a store that is not a PolicyStore, naming the option and the value', () => {
    const expected = 'must be a PolicyStore (createRedisStore() of llm-resilience/redis), got';
    const policyStateOnAFunction = Object.assign(() => 0, {
      policyState: writtenStore().store.policyState,
    });
    for (const [store, shown] of [
      [null, 'null'],
      [{}, 'an object'],
      [{ policyState: 'redis' }, 'an object'],
      [policyStateOnAFunction, 'a function'],
      ['redis://localhost', '"redis://localhost"'],
    ] as const) {
      expect(() => createPolicy({ name: 'bad', store: store as never })).toThrow(
        new TypeError(`store ${expected} ${shown}`),
      );
      expect(() => llmRetry({ name: 'bad', store: store as never })).toThrow(
        new TypeError(`retry.store ${expected} ${shown}`),
      );
    }
    expect(() => createPolicy({ name: 'good', store: writtenStore().store })).not.toThrow();
  });

  it("close cockatiel's breaker, opened while the store was unavailable, once the fleet's lets a call go", async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({
      name: 'follow',
      store,
      rateLimit: {},
      circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 },
    });
    const events: string[] = [];
    for (const name of ['break', 'reset', 'storeRecovered'] as const)
      policy.events.on(name, () => events.push(name));
    state.down = true;
    for (let i = 0; i < 2; i++) await expect(policy.execute(failure)).rejects.toThrow('down');
    expect(policy.circuitState).toBe('open'); // cockatiel's own, opened in-process
    state.down = false;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(policy.execute(() => 1)).rejects.toThrow(); // the ping is under way: in-process
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(policy.execute(() => 'shared')).resolves.toBe('shared');
    expect(policy.circuitState).toBe('closed');
    expect(policy.circuitBreaker?.toJSON()).toMatchObject({ ownState: expect.anything() });
    expect(events).toEqual(['break', 'storeRecovered']);
  });

  it("reports the fleet's pace, and refuses a call the store refused (it will not wait for the fleet's closure)", async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({ name: 'pace', store, rateLimit: {} });
    const paced: number[] = [];
    policy.events.on('paced', (e: PolicyEvent<'paced'>) => paced.push(e.ratePerSec));
    state.enter = { ...CLOSED, paceRatePerSec: 4.321 };
    await policy.execute(() => 1);
    state.enter = { ...CLOSED, paceRatePerSec: 4.4 }; // less than 10% more: not reported
    await policy.execute(() => 1);
    state.enter = { ...CLOSED, paceRatePerSec: 0 };
    await policy.execute(() => 1);
    state.enter = { ...CLOSED, paceRatePerSec: 2 };
    await policy.execute(() => 1);
    expect(paced).toEqual([4.32, 2]);
    const limited = Object.assign(new Error('slow down'), { status: 429 });
    state.leave = { ...LEFT, closedForMs: 5_000 };
    await expect(policy.execute(() => Promise.reject(limited))).rejects.toBe(limited);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The store refuses a place further away than the call's maxWaitMs, and reserves none.
    state.enter = { ...CLOSED, waitMs: 4_980, closedForMs: 4_980, refused: true };
    let sent = 0;
    const refused = await policy.execute(() => ++sent, { maxWaitMs: 100 }).catch((e) => e);
    expect(refused).toBeInstanceOf(RateLimitHoldError);
    expect(refused.waitMs).toBeGreaterThan(4_000);
    expect(refused.maxWaitMs).toBe(100);
    expect(sent).toBe(0);
  });

  it("keeps its own budget in step with the fleet's queue: no saved-up burst once alone", async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({ name: 'queue', store, rateLimit: { requestsPerMinute: 60 } });
    let sent = 0;
    // The fleet's budget is 5 s deep in calls already placed.
    state.enter = { ...CLOSED, waitMs: 5_000, refused: true };
    const refused = await policy.execute(() => ++sent, { maxWaitMs: 100 }).catch((e) => e);
    expect(refused).toBeInstanceOf(RateLimitHoldError);
    state.down = true;
    // Alone, the process's own budget holds the next call as long as the fleet's would have.
    const alone = await policy.execute(() => ++sent, { maxWaitMs: 1_000 }).catch((e) => e);
    expect(alone).toBeInstanceOf(RateLimitHoldError);
    expect(alone.waitMs).toBeGreaterThan(4_000);
    expect(sent).toBe(0);
  });

  it('sends the ways out the retry stage held, whatever ends its decision', async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({
      name: 'held',
      store,
      rateLimit: {},
      circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 1_000 },
      retry: {
        maxRetries: 2,
        initialDelayMs: 1,
        maxDelayMs: 1,
        maxRetryAfterMs: 1_000,
        shouldRetry: () => {
          throw new Error('a bug in shouldRetry');
        },
      },
      retryBudget: {},
    });
    await expect(policy.execute(failure)).rejects.toThrow('a bug in shouldRetry');
    expect(state.left).toHaveLength(1);
    expect(state.left[0]?.breaker?.outcome).toBe('failure');
    expect(state.left[0]?.retryBudget).toBeUndefined();
    await expect(policy.execute(() => 1)).resolves.toBe(1);
    expect(state.left).toHaveLength(2);
  });

  it("asks the budget for a retry in the failed attempt's way out, with the call counted", async () => {
    const { store, state } = writtenStore();
    const policy = createPolicy({
      name: 'rides',
      store,
      rateLimit: {},
      retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1_000 },
      retryBudget: { percent: 20, minPerSec: 10, windowMs: 10_000 },
    });
    let tries = 0;
    await expect(policy.execute(() => (++tries === 1 ? failure() : 'ok'))).resolves.toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(state.left).toHaveLength(2);
    expect(state.left[0]?.gate?.outcome).toBe('answered');
    expect(state.left[0]?.retryBudget).toEqual({
      percent: 20,
      minPerSec: 10,
      windowMs: 10_000,
      deposits: 1,
      withdraw: true,
    });
    expect(state.left[1]?.retryBudget).toBeUndefined();
  });
});
