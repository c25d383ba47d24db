import { beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_DEFAULTS } from '../../src/rateLimit/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import type { LeaveAnswer, PolicyStateStore } from '../../src/store/PolicyStore.js';
import { redisForTests } from '../support/redisForTests.js';

// The pace the fleet learns from 429s, asked of the store's scripts directly: replies reported on
// their way out, with the time each was let through (`sentAt`, from the store's way in).

const redis = redisForTests();
let store: RedisStore;
let run = 0;
beforeAll(() => {
  store = createRedisStore({
    client: redis.client,
    prefix: `llmr-pace-${process.pid}`,
    timeoutMs: 1000,
  });
});

const GATE = { ...RATE_LIMIT_DEFAULTS, requestsPerMinute: 0, tokensPerMinute: 0 };

/** A fresh policy's shared state, and the store's clock (one way in). */
async function fresh(): Promise<{ state: PolicyStateStore; sentAt: number }> {
  const state = store.policyState(`pace-${++run}`);
  const { at } = await state.enter({ gate: { ...GATE, cost: 0, refuseAboveMs: -1 } });
  return { state, sentAt: at };
}

function reply(
  state: PolicyStateStore,
  sentAt: number,
  rateLimitedAfterMs?: number,
): Promise<LeaveAnswer> {
  return state.leave({
    sentAt,
    gate: {
      ...GATE,
      outcome: rateLimitedAfterMs === undefined ? 'answered' : 'rateLimited',
      hintMs: rateLimitedAfterMs ?? -1,
      backlogged: true,
    },
  });
}

describe("the fleet's pace (Lua)", () => {
  it('starts from the rate the server just sustained, not from a short wait a 429 announced', async () => {
    const { state, sentAt } = await fresh();
    for (let i = 0; i < 20; i++) await reply(state, sentAt);
    // A token bucket's 429 says when its next token comes: 1 ms says nothing of its rate.
    const { paceRatePerSec } = await reply(state, sentAt, 1);
    expect(paceRatePerSec).toBeGreaterThanOrEqual(18);
    expect(paceRatePerSec).toBeLessThanOrEqual(21);
  });

  it('is raised by the replies still coming to requests sent before it started', async () => {
    const { state, sentAt } = await fresh();
    for (let i = 0; i < 5; i++) await reply(state, sentAt);
    expect((await reply(state, sentAt, 1)).paceRatePerSec).toBeLessThanOrEqual(6);
    let last: LeaveAnswer | undefined;
    for (let i = 0; i < 15; i++) last = await reply(state, sentAt);
    expect(last?.paceRatePerSec).toBeGreaterThanOrEqual(18);
    expect(last?.paceRatePerSec).toBeLessThanOrEqual(21);
  });

  it('starts from the wait of a second 429 when no success came before', async () => {
    const { state, sentAt } = await fresh();
    // A lone 429 sets no pace: one request says nothing about a rate.
    expect((await reply(state, sentAt, 500)).paceRatePerSec).toBe(0);
    expect((await reply(state, sentAt, 500)).paceRatePerSec).toBe(2);
  });
});
