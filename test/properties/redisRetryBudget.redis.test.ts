import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../src/pipeline/RetryBudget.js';
import { PRELUDE, RETRY_BUDGET } from '../../src/redis/scripts.js';
import { redisForTests } from '../support/redisForTests.js';
import { numRuns } from './numRuns.js';

// The retry budget as the Redis store's script keeps it (the same Lua functions) against the
// in-process RetryBudget, over arbitrary sequences of (elapsed ms, calls, retry asked): both must
// grant the same retries. The harness gives the clock as arguments instead of the server's TIME,
// so one script runs a whole sequence.
const HARNESS = `${PRELUDE}${RETRY_BUDGET}
local percent, minPerSec, windowMs = n(a[1]), n(a[2]), n(a[3])
local sliceMs = windowMs / SLICES
local reserve = minPerSec * (windowMs / 1000) * 100
local b = {s = 0, d = {}, w = {}}
for i = 0, SLICES do b.d[i], b.w[i] = 0, 0 end
local now, granted = n(a[4]), {}
for i = 5, #a, 3 do
  now = now + n(a[i])
  if n(a[i + 1]) > 0 then budgetDeposit(b, now, sliceMs, n(a[i + 1])) end
  if a[i + 2] == '1' then
    granted[#granted + 1] = budgetWithdraw(b, now, sliceMs, percent, reserve) and '1' or '0'
  end
end
return granted
`;

const redis = redisForTests();

describe('the Redis retry budget (Lua)', () => {
  it('grants the retries the in-process RetryBudget grants', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 100 }), // percent
        fc.integer({ min: 0, max: 5 }), // minPerSec
        fc.integer({ min: 100, max: 20_000 }), // windowMs
        fc.integer({ min: 0, max: 2_000_000_000_000 }), // the clock's start
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 5_000 }),
            fc.integer({ min: 0, max: 3 }),
            fc.boolean(),
          ),
          { minLength: 1, maxLength: 60 },
        ),
        async (percent, minPerSec, windowMs, start, steps) => {
          const args = [percent, minPerSec, windowMs, start].map(String);
          for (const [elapsed, calls, retry] of steps) {
            args.push(String(elapsed), String(calls), retry ? '1' : '0');
          }
          const lua = (await redis.client.eval(HARNESS, 0, ...args)) as string[];
          const budget = new RetryBudget({ percent, minPerSec, windowMs });
          const expected: string[] = [];
          let now = start;
          for (const [elapsed, calls, retry] of steps) {
            now += elapsed;
            for (let i = 0; i < calls; i++) budget.deposit(now);
            if (retry) expected.push(budget.tryWithdraw(now) ? '1' : '0');
          }
          expect(lua).toEqual(expected);
        },
      ),
      { numRuns: numRuns(300) },
    );
  });
});
