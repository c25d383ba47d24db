import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/rateLimit/tokenBucket.js';
import { PRELUDE } from '../../src/redis/scripts.js';
import { redisForTests } from '../support/redisForTests.js';
import { numRuns } from './numRuns.js';

// The budgets' GCRA, as the Redis store's scripts run it (the same Lua function, `allowedAt`),
// against the in-process TokenBucket over arbitrary sequences of (elapsed ms, cost): both must
// tell the same wait before every take, and take at the same moments. The harness gives the
// clock as arguments instead of the server's TIME, so one script runs a whole sequence.
const HARNESS = `${PRELUDE}
local interval, c = n(a[1]), n(a[2])
local tat, now = 0, 0
local waits = {}
for i = 3, #a, 2 do
  now = now + n(a[i])
  local cost = n(a[i + 1])
  local wait = math.max(0, allowedAt(tat, interval, c, cost) - now)
  if wait <= 1e-6 then
    wait = 0
    tat = math.max(tat, now) + cost * interval
  end
  waits[#waits + 1] = string.format('%.6f', wait)
end
return waits
`;

const redis = redisForTests();

describe('the Redis budget (GCRA in Lua)', () => {
  it('waits and takes as the in-process token bucket does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 100_000 }), // per minute
        fc.boolean(), // a requests budget (capacity at least 1) or a tokens budget
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 4_000 })), {
          minLength: 1,
          maxLength: 40,
        }),
        async (perMinute, requests, steps) => {
          const ratePerSec = perMinute / 60;
          const capacity = requests ? Math.max(1, ratePerSec) : ratePerSec;
          const costOf = (cost: number) => (requests ? 1 : cost);
          const args = [String(60_000 / perMinute), String(capacity)];
          for (const [elapsed, cost] of steps) args.push(String(elapsed), String(costOf(cost)));
          const lua = ((await redis.client.eval(HARNESS, 0, ...args)) as string[]).map(Number);
          const bucket = new TokenBucket(ratePerSec, capacity, 0);
          let now = 0;
          steps.forEach(([elapsed, cost], i) => {
            now += elapsed;
            let wait = bucket.waitMs(costOf(cost), now);
            if (wait <= 1e-6) {
              wait = 0;
              bucket.take(costOf(cost), now);
            }
            const expected = lua[i] as number;
            expect(Math.abs(wait - expected)).toBeLessThanOrEqual(1e-3 * Math.max(1, wait));
          });
        },
      ),
      { numRuns: numRuns(200) },
    );
  });
});
