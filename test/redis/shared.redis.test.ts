import { BrokenCircuitError } from 'cockatiel';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPolicy,
  type LlmPolicy,
  type LlmRetryPolicy,
  llmRetry,
  type PolicyOptions,
  RateLimitHoldError,
} from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { replies, startFakeOpenAI } from '../../src/testing/index.js';
import { CLIENT_KINDS, connectClient, type TestClient } from '../support/redisClients.js';
import { type RedisServer, useRedis } from '../support/redisServer.js';
import { attemptsAfterTenCalls } from '../support/sharedRetryBudget.js';

const KIND_NAMES = {
  'ioredis 6': 'ioredis',
  'ioredis 5': 'ioredis',
  'redis 4': 'node-redis',
  'redis 5': 'node-redis',
  'redis 6': 'node-redis',
  upstash: 'upstash',
} as const;

let redis: RedisServer;
beforeAll(async () => {
  redis = await useRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const serverError = (): Error => Object.assign(new Error('boom'), { status: 500 });

describe.each(CLIENT_KINDS)('createRedisStore with %s', (kind) => {
  let connection: TestClient;
  let store: RedisStore;
  let run = 0;
  beforeAll(async () => {
    connection = await connectClient(kind, redis.url);
    store = createRedisStore({
      client: connection.client,
      prefix: `llmr-test-${process.pid}-${kind.replace(' ', '')}`,
      timeoutMs: 500,
    });
  });
  afterAll(async () => {
    await connection?.close();
  });

  /** Two policies of one fresh name on the store, as two processes would have. */
  function pair(options: PolicyOptions): [LlmPolicy, LlmPolicy] {
    const name = `policy-${++run}`;
    return [createPolicy({ ...options, name, store }), createPolicy({ ...options, name, store })];
  }

  it('detects the client', () => {
    expect(store.clientKind).toBe(KIND_NAMES[kind]);
  });

  it('gives two policies of one name one requestsPerMinute budget', async () => {
    const [a, b] = pair({ rateLimit: { requestsPerMinute: 600 } });
    const times: number[] = [];
    const call = (policy: LlmPolicy) =>
      policy.execute(() => {
        times.push(Date.now());
        return 1;
      });
    await Promise.all(Array.from({ length: 16 }, (_, i) => call(i % 2 === 0 ? a : b)));
    times.sort((x, y) => x - y);
    const first = times[0] as number;
    // 600 a minute: a burst of 10, then one every 100 ms, for both policies together (each
    // alone would have let 10 go at once: 16 in the burst).
    const burst = times.filter((t) => t - first < 50).length;
    expect(burst).toBeGreaterThanOrEqual(8);
    expect(burst).toBeLessThanOrEqual(11);
    expect((times[15] as number) - first).toBeGreaterThanOrEqual(450);
  });

  it('closes the gate of every policy of the name after one 429, for the hint', async () => {
    const server = await startFakeOpenAI({
      script: [replies.rateLimit({ retryAfterMs: 400 }), replies.ok()],
    });
    try {
      const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'sk-test', maxRetries: 0 });
      const [a, b] = pair({ rateLimit: {} });
      const chat = (policy: LlmPolicy) =>
        policy.execute(({ signal }) =>
          client.chat.completions.create(
            { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
            { signal },
          ),
        );
      await expect(chat(a)).rejects.toMatchObject({ status: 429 });
      // The way out is not awaited: give the store its round trip.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await chat(b);
      const [limited, answered] = server.requests;
      expect(server.requests).toHaveLength(2);
      expect((answered?.time ?? 0) - (limited?.time ?? 0)).toBeGreaterThanOrEqual(380);
    } finally {
      await server.close();
    }
  });

  it('gives two policies of one name one retry budget, bounded by the calls of both', async () => {
    const [a, b] = pair({
      retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 60_000 },
      retryBudget: { percent: 50, minPerSec: 0, windowMs: 2_000 },
    });
    // a's 10 calls reach the store within a tenth of the window, though a never retries.
    // The pair's 30 calls allow 15 retries (15 × 100 <= 50 × 30); b's 20 alone would allow 10.
    expect(await attemptsAfterTenCalls(a, b, 20, serverError)).toBe(35);
  });

  it('opens the breaker for all, lets one trial through for all, and closes it for all', async () => {
    const [a, b] = pair({
      circuitBreaker: { consecutiveFailures: 4, halfOpenAfterMs: 300 },
      rateLimit: {},
    });
    for (const policy of [a, b, a, b]) {
      await expect(policy.execute(() => Promise.reject(serverError()))).rejects.toThrow('boom');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    let sent = 0;
    const work = async (): Promise<number> => {
      sent++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return 1;
    };
    await expect(a.execute(work)).rejects.toBeInstanceOf(BrokenCircuitError);
    await expect(b.execute(work)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(sent).toBe(0);
    expect([a.circuitState, b.circuitState]).toEqual(['open', 'open']);
    await new Promise((resolve) => setTimeout(resolve, 320));
    // One trial call for both; the other call waits for its outcome, then goes.
    const spans: [number, number][] = [];
    const timed = async (): Promise<number> => {
      const start = Date.now();
      await work();
      spans.push([start, Date.now()]);
      return 1;
    };
    await expect(Promise.all([a.execute(timed), b.execute(timed)])).resolves.toEqual([1, 1]);
    expect(sent).toBe(2);
    const [trial, next] = spans.sort((x, y) => x[0] - y[0]) as [[number, number], [number, number]];
    expect(next[0]).toBeGreaterThanOrEqual(trial[1]);
    await expect(a.execute(work)).resolves.toBe(1);
    await expect(b.execute(work)).resolves.toBe(1);
    expect([a.circuitState, b.circuitState]).toEqual(['closed', 'closed']);
  });
});

/** `client`, pushing onto `counted` the name of every script command it sends. */
function countingScripts(client: unknown, counted: string[]): unknown {
  return new Proxy(client as Record<string, (...args: unknown[]) => unknown>, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if ((key === 'evalsha' || key === 'eval') && typeof value === 'function') {
        return (...args: unknown[]) => {
          counted.push(String(key));
          return value.apply(target, args);
        };
      }
      return value;
    },
  });
}

describe('the Redis store, round trips and keys', () => {
  let connection: TestClient;
  beforeAll(async () => {
    connection = await connectClient('ioredis 6', redis.url);
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('costs one script on the way in and one on the way out, gate and breaker together', async () => {
    const counted: string[] = [];
    const counting = countingScripts(connection.client, counted);
    const store = createRedisStore({
      client: counting,
      prefix: `llmr-trips-${process.pid}`,
      timeoutMs: 1000,
    });
    const policy = createPolicy({
      name: 'trips',
      store,
      rateLimit: { requestsPerMinute: 6000 },
      circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 1000 },
      retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    });
    await policy.execute(() => 1); // loads the scripts
    await new Promise((resolve) => setTimeout(resolve, 20));
    counted.length = 0;
    await policy.execute(() => 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(counted).toEqual(['evalsha', 'evalsha']);
  });

  it("asks the shared retry budget for a retry within the failed attempt's way out", async () => {
    const counted: string[] = [];
    const counting = countingScripts(connection.client, counted);
    const store = createRedisStore({
      client: counting,
      prefix: `llmr-budget-trips-${process.pid}`,
      timeoutMs: 1000,
    });
    const policy = createPolicy({
      name: 'budget-trips',
      store,
      rateLimit: {},
      circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 1000 },
      retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 60_000 },
      retryBudget: { windowMs: 1_000 },
    });
    await policy.execute(() => 1); // loads the scripts
    await new Promise((resolve) => setTimeout(resolve, 150));
    counted.length = 0;
    let attempts = 0;
    const failing = () =>
      ++attempts === 1 ? Promise.reject(serverError()) : Promise.resolve(attempts);
    await expect(policy.execute(failing)).resolves.toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // In and out for each attempt: the retry and the call's count rode with the first way out.
    expect(counted).toEqual(['evalsha', 'evalsha', 'evalsha', 'evalsha']);
    counted.length = 0;
    await policy.execute(() => 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(counted).toEqual(['evalsha', 'evalsha']);
    // A call that asked no retry is counted within a tenth of the window, in a round trip of its own.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(counted).toEqual(['evalsha', 'evalsha', 'evalsha']);
  });

  it('reserves no place in the budgets for a call refused for its maxWaitMs', async () => {
    const store = createRedisStore({
      client: connection.client,
      prefix: `llmr-refused-${process.pid}`,
      timeoutMs: 1000,
    });
    // 60 a minute: one now, then one a second.
    const policy = createPolicy({ name: 'refused', store, rateLimit: { requestsPerMinute: 60 } });
    await policy.execute(() => 1);
    let sent = 0;
    const refused = await policy.execute(() => ++sent, { maxWaitMs: 100 }).catch((e) => e);
    expect(refused).toBeInstanceOf(RateLimitHoldError);
    expect(refused.waitMs).toBeGreaterThan(800);
    expect(sent).toBe(0);
    const started = Date.now();
    await policy.execute(() => 1);
    // The next place is a second after the first call's; the refused call took none.
    expect(Date.now() - started).toBeLessThan(1_400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
  });

  it('shares the budget of retry stages given a store in your own wrap()', async () => {
    const store = createRedisStore({
      client: connection.client,
      prefix: `llmr-wrap-budget-${process.pid}`,
      timeoutMs: 1000,
    });
    const [a, b] = [0, 1].map(() =>
      llmRetry({
        name: 'wrap-budget',
        store,
        maxRetries: 1,
        initialDelayMs: 1,
        maxDelayMs: 1,
        budget: { percent: 50, minPerSec: 0, windowMs: 2_000 },
      }),
    ) as [LlmRetryPolicy, LlmRetryPolicy];
    // 14 calls allow 7 retries: all 4 are made (b's 4 alone would allow 2).
    expect(await attemptsAfterTenCalls(a, b, 4, serverError)).toBe(8);
  });

  it('counts the calls of a sampling breaker across policies', async () => {
    const store = createRedisStore({
      client: connection.client,
      prefix: `llmr-sampling-${process.pid}`,
      timeoutMs: 1000,
    });
    const [a, b] = [0, 1].map(() =>
      createPolicy({
        name: 'sampling',
        store,
        circuitBreaker: {
          failureRatio: 0.5,
          minimumCalls: 4,
          samplingMs: 10_000,
          halfOpenAfterMs: 5_000,
        },
      }),
    ) as [LlmPolicy, LlmPolicy];
    await a.execute(() => 1);
    for (const policy of [a, b, b]) {
      await expect(policy.execute(() => Promise.reject(serverError()))).rejects.toThrow('boom');
    }
    // 3 failures of 4 calls, 2 of them in b: above the ratio for the pair, not for either alone.
    await new Promise((resolve) => setTimeout(resolve, 30));
    let sent = 0;
    await expect(a.execute(() => ++sent)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(sent).toBe(0);
    expect(a.circuitState).toBe('open');
  });

  it('gives every key it writes a TTL', async () => {
    const prefix = `llmr-ttl-${process.pid}`;
    const store = createRedisStore({ client: connection.client, prefix, timeoutMs: 1000 });
    const policy = createPolicy({
      name: 'ttl',
      store,
      rateLimit: { requestsPerMinute: 600, tokensPerMinute: 60_000 },
      circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 1000 },
    });
    await policy.execute(() => 1, { tokens: 10 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const client = connection.client as {
      keys(pattern: string): Promise<string[]>;
      pttl(key: string): Promise<number>;
    };
    const keys = await client.keys(`${prefix}:*`);
    expect(keys).toEqual([`${prefix}:{ttl}`]);
    for (const key of keys) expect(await client.pttl(key)).toBeGreaterThan(500_000);
  });
});
