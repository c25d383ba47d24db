import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../bench/fleet.js';
import type { FleetMessage } from '../../bench/fleetWorker.js';
import { type RedisServer, useRedis } from '../support/redisServer.js';

let redis: RedisServer;
let fleet: Fleet;
let run = 0;
beforeAll(async () => {
  redis = await useRedis();
  fleet = await startFleet(3, redis.url);
}, 30_000);
afterAll(async () => {
  await fleet?.stop();
  await redis?.stop();
});

/** Starts every worker's policy with `options`, shared under a fresh prefix unless `alone`. */
async function start(options: Record<string, unknown>, alone = false): Promise<void> {
  const prefix = `llmr-fleet-${process.pid}-${++run}`;
  await Promise.all(
    fleet.workers.map((worker) => {
      const ready = worker.next('ready');
      const message: FleetMessage = {
        type: 'start',
        baseURL: 'http://127.0.0.1:9',
        name: 'fleet-test',
        options,
        ...(alone ? {} : { prefix }),
      };
      worker.send(message);
      return ready;
    }),
  );
}

/** A burst of `count` local calls in each worker at once: every call's start time. */
async function burst(count: number): Promise<number[]> {
  const replies = await Promise.all(
    fleet.workers.map((worker) => {
      const done = worker.next('burst');
      worker.send({ type: 'burst', count });
      return done;
    }),
  );
  return replies.flatMap((r) => r.times).sort((a, b) => a - b);
}

describe('a fleet of processes on one Redis store', () => {
  it('shares one requestsPerMinute budget across processes (each alone would not)', async () => {
    // 600 a minute: a burst of 10, then one every 100 ms, for the whole fleet.
    await start({ rateLimit: { requestsPerMinute: 600 }, retry: false });
    await burst(1); // loads the scripts and spends 3 of the burst
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const times = await burst(8);
    const first = times[0] as number;
    expect(times.filter((t) => t - first < 50).length).toBeLessThanOrEqual(11);
    expect((times.at(-1) as number) - first).toBeGreaterThanOrEqual(1_100);
    await start({ rateLimit: { requestsPerMinute: 600 }, retry: false }, true);
    const alone = await burst(8);
    expect(alone.filter((t) => t - (alone[0] as number) < 50).length).toBe(24);
  }, 30_000);

  it("bounds every process's retries by the fleet's calls, through one retry budget", async () => {
    const options = {
      retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1 },
      retryBudget: { percent: 50, minPerSec: 0, windowMs: 2_000 },
      circuitBreaker: false,
    };
    const failingBurst = async (alone: boolean): Promise<number> => {
      await start(options, alone);
      const [first, second] = fleet.workers;
      const calls = first?.next('burst');
      first?.send({ type: 'burst', count: 10 });
      await calls;
      await new Promise((resolve) => setTimeout(resolve, 350));
      const failed = second?.next('burst');
      second?.send({ type: 'burst', count: 4, failing: true });
      const reply = await failed;
      expect(reply?.errors).toHaveLength(4);
      return reply?.times.length ?? 0;
    };
    // 14 calls in the fleet allow 7 retries: all 4 are made. Alone, 4 calls allow 2.
    expect(await failingBurst(false)).toBe(8);
    expect(await failingBurst(true)).toBe(6);
  }, 30_000);

  it('opens the breaker of every process on failures counted across them', async () => {
    await start({
      circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 10_000 },
      retry: false,
    });
    const [first, second] = fleet.workers;
    const failed = first?.next('burst');
    first?.send({ type: 'burst', count: 2, failing: true });
    await failed;
    const failedToo = second?.next('burst');
    second?.send({ type: 'burst', count: 1, failing: true });
    await failedToo;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await Promise.all(
      fleet.workers.map((worker) => {
        const done = worker.next('burst');
        worker.send({ type: 'burst', count: 2 });
        return done;
      }),
    );
    for (const reply of refused) {
      expect(reply.times).toEqual([]);
      expect(reply.errors).toEqual(['BrokenCircuitError', 'BrokenCircuitError']);
    }
  }, 30_000);
});
