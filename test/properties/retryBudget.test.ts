import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { RetryBudget, type RetryBudgetStore } from '../../src/pipeline/RetryBudget.js';
import { httpError } from '../support/pipeline.js';
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

/** What one attempt of a call does: answer, or fail with a 500, a 503 or a 429. */
type Attempt = { status: 200 | 429 | 500 | 503; afterMs: number };

const attemptSpec: fc.Arbitrary<Attempt> = fc.record({
  status: fc.constantFrom<Attempt['status']>(200, 429, 500, 500, 503),
  afterMs: fc.integer({ min: 0, max: 200 }),
});

const pipeline = fc.record({
  maxRetries: fc.integer({ min: 0, max: 4 }),
  initialDelayMs: fc.integer({ min: 1, max: 300 }),
  gate: fc.boolean(),
  breaker: fc.boolean(),
  percent: fc.integer({ min: 0, max: 100 }),
  minPerSecTenths: fc.integer({ min: 0, max: 20 }),
  windowMs: fc.integer({ min: 100, max: 5_000 }),
});
const calls = fc.array(
  fc.record({
    startAt: fc.integer({ min: 0, max: 5_000 }),
    attempts: fc.array(attemptSpec, { minLength: 1, maxLength: 6 }),
  }),
  { minLength: 1, maxLength: 40 },
);

describe('the retry stage with a budget (property)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spends the budget on every retry that sends a request, and stays within it', async () => {
    await fc.assert(
      fc.asyncProperty(pipeline, calls, async (o, specs) => {
        vi.useFakeTimers({ now: T0 });
        const minPerSec = o.minPerSecTenths / 10;
        const inner = new RetryBudget({ percent: o.percent, minPerSec, windowMs: o.windowMs });
        const deposits: number[] = [];
        const withdrawals: { at: number; granted: boolean }[] = [];
        const budget: RetryBudgetStore = {
          deposit(now) {
            deposits.push(now);
            inner.deposit(now);
          },
          tryWithdraw(now) {
            const granted = inner.tryWithdraw(now);
            withdrawals.push({ at: now, granted });
            return granted;
          },
        };
        const policy = createPolicy({
          retry: {
            maxRetries: o.maxRetries,
            initialDelayMs: o.initialDelayMs,
            maxDelayMs: o.initialDelayMs * 4,
            maxRetryAfterMs: 60_000,
          },
          rateLimit: o.gate ? {} : false,
          circuitBreaker: o.breaker ? { consecutiveFailures: 2, halfOpenAfterMs: 500 } : false,
          retryBudget: budget,
        });
        const spending: number[] = [];
        policy.events.on('retry', ({ reason }) => {
          const held = reason.kind === 'aborted' || (o.gate && reason.kind === 'rate_limit');
          if (!held) spending.push(Date.now());
        });
        let refused = 0;
        policy.events.on('giveUp', ({ why }) => {
          if (why === 'retry_budget') refused++;
        });
        const settled = specs.map(
          (spec) =>
            new Promise<void>((resolve) => {
              setTimeout(() => {
                policy
                  .execute(async ({ attempt }) => {
                    const a = spec.attempts[Math.min(attempt, spec.attempts.length) - 1];
                    await new Promise((r) => setTimeout(r, a?.afterMs ?? 0));
                    if (a === undefined || a.status === 200) return 'ok';
                    throw httpError(a.status);
                  })
                  .then(
                    () => resolve(),
                    () => resolve(),
                  );
              }, spec.startAt);
            }),
        );
        await vi.runAllTimersAsync();
        await Promise.all(settled);
        vi.useRealTimers();

        expect(deposits).toHaveLength(specs.length);
        expect(spending).toEqual(withdrawals.filter((w) => w.granted).map((w) => w.at));
        expect(refused).toBe(withdrawals.filter((w) => !w.granted).length);
        for (const t of spending) {
          const allowed =
            (o.percent / 100) * within(deposits, t - o.windowMs, t) +
            minPerSec * (o.windowMs / 1_000);
          expect(within(spending, t - o.windowMs, t)).toBeLessThanOrEqual(allowed + 1e-9);
        }
      }),
      { numRuns: numRuns(100) },
    );
  });
});
