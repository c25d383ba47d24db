import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createPolicy,
  type LlmPolicy,
  llmCircuitBreaker,
  type PolicyEvent,
  rateLimitGate,
} from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { connectClient, type TestClient } from '../support/redisClients.js';
import { type RedisServer, startRedisServer } from '../support/redisServer.js';

const TIMEOUT_MS = 300;

describe.each(['ioredis 6', 'redis 6'] as const)(
  'the Redis store with %s on a server of its own',
  (kind) => {
    let server: RedisServer;
    let connection: TestClient;
    let admin: Redis;
    let store: RedisStore;
    let run = 0;
    beforeAll(async () => {
      server = await startRedisServer();
      connection = await connectClient(kind, server.url);
      admin = new Redis(server.url, { retryStrategy: () => 50 });
      admin.on('error', () => {});
      store = createRedisStore({ client: connection.client, timeoutMs: TIMEOUT_MS });
    });
    afterAll(async () => {
      await connection?.close();
      admin?.disconnect();
      await server?.stop();
    });
    afterEach(async () => {
      if (!(await admin.ping().catch(() => undefined))) await server.restart();
    });

    /** Two policies of one fresh name, and the store events they emitted. */
    function pair(rpm: number): { policies: [LlmPolicy, LlmPolicy]; events: string[] } {
      const name = `fault-${++run}`;
      const events: string[] = [];
      const make = () => {
        const policy = createPolicy({
          name,
          store,
          rateLimit: { requestsPerMinute: rpm },
          circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 },
        });
        policy.events.on('storeUnavailable', (e: PolicyEvent<'storeUnavailable'>) =>
          events.push(`unavailable ${e.cause}`),
        );
        policy.events.on('storeRecovered', () => events.push('recovered'));
        return policy;
      };
      return { policies: [make(), make()], events };
    }

    /** How many of 12 calls, 6 on each policy, went within 120 ms of the first (the next is due at 166). */
    async function burst([a, b]: [LlmPolicy, LlmPolicy]): Promise<number> {
      const times: number[] = [];
      const call = (p: LlmPolicy) =>
        p.execute(() => {
          times.push(Date.now());
          return 1;
        });
      await Promise.all(Array.from({ length: 12 }, (_, i) => call(i % 2 === 0 ? a : b)));
      const first = Math.min(...times);
      return times.filter((t) => t - first < 120).length;
    }

    it('goes on with in-process state at once while Redis is down, and shares again once it is back', async () => {
      // 360 a minute: a burst of 6 for the fleet; each policy alone lets its own 6 go.
      const { policies, events } = pair(360);
      expect(await burst(policies)).toBeLessThanOrEqual(7);
      await server.stop();
      const started = Date.now();
      const [a] = policies;
      await expect(a.execute(() => 'down')).resolves.toBe('down');
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 400);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const local = Date.now();
      expect(await burst(policies), events.join()).toBeGreaterThanOrEqual(11);
      expect(Date.now() - local).toBeLessThan(1_000);
      expect(events.filter((e) => e.startsWith('unavailable'))).toHaveLength(2);
      await server.restart();
      // Each policy pings once a second while the store is down; then sharing resumes.
      const deadline = Date.now() + 5_000;
      while (events.filter((e) => e === 'recovered').length < 2 && Date.now() < deadline) {
        await Promise.all(policies.map((p) => p.execute(() => 1)));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(events.filter((e) => e === 'recovered')).toHaveLength(2);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await burst(policies)).toBeLessThanOrEqual(7);
    });

    it("bounds retries by this process's own budget while Redis is down", async () => {
      const name = `fault-budget-${++run}`;
      const make = () =>
        createPolicy({
          name,
          store,
          retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 60_000 },
          retryBudget: { percent: 50, minPerSec: 0 },
        });
      const [a, b] = [make(), make()];
      let recovered = 0;
      b.events.on('storeRecovered', () => recovered++);
      let attempts = 0;
      const failing = () => {
        attempts++;
        return Promise.reject(Object.assign(new Error('down'), { status: 503 }));
      };
      const calls = (policy: LlmPolicy, count: number) =>
        Promise.allSettled(Array.from({ length: count }, () => policy.execute(failing)));
      await Promise.all(Array.from({ length: 10 }, () => a.execute(() => 1)));
      await server.stop();
      const started = Date.now();
      await calls(b, 10);
      // b's own 10 calls allow 5 retries: a's calls, counted in the store, are out of reach.
      expect(attempts).toBe(15);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 500);
      await server.restart();
      const deadline = Date.now() + 5_000;
      while (recovered === 0 && Date.now() < deadline) {
        await b.execute(() => 1);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(recovered).toBe(1);
    });

    it('does not wait for a paused Redis beyond timeoutMs', async () => {
      const { policies, events } = pair(6000);
      await burst(policies);
      await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
      const started = Date.now();
      const results = await Promise.all(policies.map((p) => p.execute(() => 'paused')));
      expect(results).toEqual(['paused', 'paused']);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 300);
      expect(events).toContain('unavailable timeout');
      await new Promise((resolve) => setTimeout(resolve, 800));
    });

    it('loads its scripts again after SCRIPT FLUSH, without losing the store', async () => {
      const { policies, events } = pair(360);
      expect(await burst(policies)).toBeLessThanOrEqual(7);
      await admin.call('SCRIPT', 'FLUSH');
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await burst(policies)).toBeLessThanOrEqual(7);
      expect(events).toEqual([]);
    });

    it('shares the stages given a store in your own wrap()', async () => {
      const name = `wrap-${++run}`;
      const breakers = [0, 1].map(() =>
        llmCircuitBreaker({ name, store, consecutiveFailures: 2, halfOpenAfterMs: 5_000 }),
      );
      const failing = () => Promise.reject(Object.assign(new Error('down'), { status: 503 }));
      for (const breaker of breakers)
        await expect(breaker.execute(failing)).rejects.toThrow('down');
      await new Promise((resolve) => setTimeout(resolve, 30));
      let sent = 0;
      await expect(breakers[0]?.execute(() => ++sent)).rejects.toThrow(/circuit/i);
      expect(sent).toBe(0);
      const gates = [0, 1].map(() =>
        rateLimitGate({ name: `${name}-gate`, store, requestsPerMinute: 120 }),
      );
      const times: number[] = [];
      await Promise.all(
        [0, 1, 2, 3].map((i) => gates[i % 2]?.execute(() => times.push(Date.now()))),
      );
      // 120 a minute: a burst of 2, then one every 500 ms, for both gates together.
      expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(900);
    });
  },
);

describe('createRedisStore and store options, bad input', () => {
  it('refuses a missing or unknown client, naming it', () => {
    expect(() => createRedisStore({} as never)).toThrow(
      /^client must be an ioredis client .*, got undefined$/,
    );
    expect(() => createRedisStore({ client: { get() {} } })).toThrow(/^client must be an ioredis/);
    expect(() => createRedisStore({ client: 'redis://localhost' })).toThrow(TypeError);
    expect(() => createRedisStore(undefined as never)).toThrow(/^options must be an object/);
  });

  it('refuses bad options, naming them', () => {
    const client = new Redis({ lazyConnect: true });
    expect(() => createRedisStore({ client, timeoutMs: 0 })).toThrow(/^timeoutMs must be/);
    expect(() => createRedisStore({ client, prefix: 3 as never })).toThrow(
      /^prefix must be a string/,
    );
    expect(() => createRedisStore({ client, ttl: 1 } as never)).toThrow(
      /^ttl is not a createRedisStore option/,
    );
    expect(createRedisStore({ client }).keyOf('chat')).toBe('llm-resilience:{chat}');
    client.disconnect();
  });

  it('refuses a store that is not one, naming where it was given', () => {
    expect(() => createPolicy({ store: {} as never })).toThrow(/^store must be a PolicyStore/);
    expect(() => rateLimitGate({ store: 1 as never })).toThrow(/^rateLimit\.store must be/);
    expect(() => llmCircuitBreaker({ store: null as never })).toThrow(
      /^circuitBreaker\.store must be/,
    );
  });
});
