import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../src/pipeline/RetryBudget.js';
import { numRuns } from './numRuns.js';

const T0 = 1_700_000_000_000;

/** `count` calls (deposits) or retries asked for (withdrawals), `gap` windows after the last. */
interface Burst {
  kind: 'call' | 'retry';
  count: number;
  gap: number;
}

const options = fc.record({
  percent: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.double({ min: 0, max: 100, noNaN: true })),
  minPerSec: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: 20 }),
    fc.double({ min: 0, max: 5, noNaN: true }),
  ),
  windowMs: fc.integer({ min: 10, max: 20_000 }),
});
// Bursts at one instant, steady traffic, and pauses about as long as a window.
const bursts = fc.array(
  fc.record({
    kind: fc.constantFrom<Burst['kind']>('call', 'retry'),
    count: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 30 })),
    // In thousandths of a window: fast-check's doubles crowd near 0.
    gap: fc
      .oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 1_200 }))
      .map((thousandths) => thousandths / 1_000),
  }),
  { maxLength: 60 },
);

/** The steps of `sequence`, one call or retry asked for at a time, with its time. */
function* stepsOf(sequence: readonly Burst[], windowMs: number) {
  let now = T0;
  for (const { kind, count, gap } of sequence) {
    now += Math.round(gap * windowMs);
    for (let i = 0; i < count; i++) yield { kind, now };
  }
}

/** How many of `times` fall in (from, to]. */
const within = (times: readonly number[], from: number, to: number): number =>
  times.filter((t) => t > from && t <= to).length;

describe('RetryBudget (property)', () => {
  it('never grants more retries in a window than percent × its calls + minPerSec × its seconds', () => {
    fc.assert(
      fc.property(options, bursts, (o, sequence) => {
        const budget = new RetryBudget(o);
        const calls: number[] = [];
        const retries: number[] = [];
        for (const { kind, now } of stepsOf(sequence, o.windowMs)) {
          if (kind === 'call') {
            budget.deposit(now);
            calls.push(now);
            continue;
          }
          if (!budget.tryWithdraw(now)) continue;
          retries.push(now);
          const allowed =
            (o.percent / 100) * within(calls, now - o.windowMs, now) +
            o.minPerSec * (o.windowMs / 1_000);
          expect(within(retries, now - o.windowMs, now)).toBeLessThanOrEqual(allowed + 1e-9);
        }
      }),
      { numRuns: numRuns(300) },
    );
  });

  it('grants a retry whenever a window a tenth shorter and a tenth longer leaves room for it', () => {
    fc.assert(
      fc.property(options, bursts, (o, sequence) => {
        const budget = new RetryBudget(o);
        const slice = o.windowMs / 10;
        const calls: number[] = [];
        const retries: number[] = [];
        for (const { kind, now } of stepsOf(sequence, o.windowMs)) {
          if (kind === 'call') {
            budget.deposit(now);
            calls.push(now);
            continue;
          }
          const room =
            (o.percent / 100) * within(calls, now - o.windowMs + slice, now) +
            o.minPerSec * (o.windowMs / 1_000) -
            within(retries, now - o.windowMs - slice, now);
          const granted = budget.tryWithdraw(now);
          if (granted) retries.push(now);
          if (room >= 1 + 1e-9) expect(granted).toBe(true);
        }
      }),
      { numRuns: numRuns(300) },
    );
  });
});
