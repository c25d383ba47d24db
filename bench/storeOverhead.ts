import { Redis } from 'ioredis';
import { Bench } from 'tinybench';
import { createChatPolicy } from '../src/policies/chat.js';
import { createRedisStore } from '../src/redis/index.js';
import { startRedisServer } from '../test/support/redisServer.js';
import { markdownTable } from './markdownTable.js';
import type { Check, Scenario } from './scenario.js';
import { percentile } from './stats.js';

const ROUNDS = 5;
const TARGET_ADDED_MS = 0.5;
const LOCAL = 'createChatPolicy() (in-process)';
const SHARED = 'createChatPolicy({ store }) (Redis on loopback)';
const LOCAL_BUDGET = 'createChatPolicy({ rateLimit: { requestsPerMinute } }) (in-process)';
const SHARED_BUDGET = 'the same with { store } (Redis on loopback)';
const NAMES = [LOCAL, SHARED, LOCAL_BUDGET, SHARED_BUDGET];

/** A function that resolves at once: the cost measured is the pipeline's. */
const work = (): Promise<number> => Promise.resolve(1);

/**
 * What sharing through Redis adds to one call: the p50 time of a call through the chat preset
 * with and without a Redis store (ioredis, a redis-server the bench starts on 127.0.0.1), one
 * call at a time, with tinybench over {@link ROUNDS} rounds.
 */
export const storeOverhead: Scenario = {
  id: 'overhead-redis',
  async run() {
    const redis = await startRedisServer();
    const client = new Redis(redis.url);
    try {
      const store = createRedisStore({ client, prefix: `bench-overhead-${process.pid}` });
      const budget = { rateLimit: { requestsPerMinute: 6_000_000 } };
      const policies = {
        [LOCAL]: createChatPolicy(),
        [SHARED]: createChatPolicy({ name: 'overhead', store }),
        [LOCAL_BUDGET]: createChatPolicy(budget),
        [SHARED_BUDGET]: createChatPolicy({ name: 'overhead-budget', store, ...budget }),
      };
      let unavailable = 0;
      for (const policy of [policies[SHARED], policies[SHARED_BUDGET]]) {
        policy.events.on('storeUnavailable', () => unavailable++);
      }
      // Loads the scripts and connects: the first call may find the store unavailable.
      for (const policy of Object.values(policies)) await policy.execute(work);
      await new Promise((resolve) => setTimeout(resolve, 600));
      for (const policy of Object.values(policies)) await policy.execute(work);
      unavailable = 0;
      const p50s = new Map<string, number[]>();
      for (let round = 0; round < ROUNDS; round++) {
        process.stderr.write(`overhead-redis: round ${round + 1} of ${ROUNDS}\n`);
        const bench = new Bench({ time: 500, warmupTime: 100 });
        for (const name of NAMES)
          bench.add(name, () => policies[name as keyof typeof policies].execute(work));
        await bench.run();
        for (const name of NAMES) {
          const result = bench.getTask(name)?.result;
          if (result?.state !== 'completed')
            throw new Error(`overhead-redis: ${name} did not complete`);
          p50s.set(name, [...(p50s.get(name) ?? []), result.latency.p50 ?? Number.NaN]);
        }
      }
      const median = (name: string): number => percentile(p50s.get(name) ?? [], 50) ?? Number.NaN;
      const added = (name: string, base: string): number => median(name) - median(base);
      const table = markdownTable(
        [
          { header: 'pipeline' },
          { header: 'p50 per call, ms (median of rounds)', align: 'right' },
          { header: 'added by Redis, ms', align: 'right' },
        ],
        NAMES.map((name) => [
          name,
          median(name).toFixed(3),
          name === SHARED
            ? added(SHARED, LOCAL).toFixed(3)
            : name === SHARED_BUDGET
              ? added(SHARED_BUDGET, LOCAL_BUDGET).toFixed(3)
              : '',
        ]),
      );
      const lost =
        unavailable === 0
          ? ''
          : ` The store was unavailable ${unavailable} times meanwhile (its calls then ran in-process).`;
      const checks: Check[] = [SHARED, SHARED_BUDGET].map((name) => {
        const ms = added(name, name === SHARED ? LOCAL : LOCAL_BUDGET);
        return {
          client: name,
          target: `adds ≤ ${TARGET_ADDED_MS} ms to the p50 of a call`,
          measured: `${ms.toFixed(3)} ms`,
          pass: ms <= TARGET_ADDED_MS,
        };
      });
      return {
        id: 'overhead-redis',
        title: 'Per-call overhead of a Redis store',
        setup: `The p50 time of one call through the chat preset around a function that resolves at once, one call at a time, with and without \`store: createRedisStore({ client })\` (ioredis 6 on a redis-server the bench starts on 127.0.0.1): one script on the way in, one on the way out (not awaited). tinybench, ${ROUNDS} rounds of 0.5 s each after a 0.1 s warm-up; the figure is the median of the rounds' p50.${lost}`,
        table,
        checks,
      };
    } finally {
      client.disconnect();
      await redis.stop();
    }
  },
};
