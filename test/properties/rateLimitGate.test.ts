import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ErrorClassification } from '../../src/errors/ErrorClassification.js';
import {
  RateLimitBudgetError,
  RateLimitGate,
  type RateLimitGateEvent,
  type RateLimitOptions,
} from '../../src/rateLimit/index.js';
import { numRuns } from './numRuns.js';

// Model-based test of the rate-limit gate over arbitrary sequences of acquires (with and without
// token costs), the passing of time, successes, 429s with and without hints, and aborts. After
// every command: the gate never lets more through than its budgets in any window; nothing goes
// through while it is closed after a 429; waiters go in FIFO order; an abort rejects at once with
// the signal's reason. At the end every waiter is let through and nothing is left behind.

interface Acquire {
  id: number;
  cost: number | undefined;
  controller: AbortController;
  state: 'waiting' | 'granted' | 'rejected';
  error?: unknown;
}
interface Grant {
  id: number;
  at: number;
  cost: number;
  afterCommand: number;
}
interface Closure {
  from: number;
  until: number;
  command: number;
}

interface Real {
  gate: RateLimitGate;
  options: RateLimitOptions;
  acquires: Acquire[];
  grants: Grant[];
  closures: Closure[];
  events: RateLimitGateEvent[];
  command: number;
}
type Model = Record<string, never>;

/** Lets settled promises run their callbacks without moving the clock. */
const flush = () => vi.advanceTimersByTimeAsync(0);

const classification = (retryAfterMs: number | undefined): ErrorClassification => {
  const c: ErrorClassification = {
    kind: 'rate_limit',
    retryable: true,
    breakerFailure: false,
    message: '429 Rate limit reached',
    status: 429,
  };
  if (retryAfterMs !== undefined) c.retryAfterMs = retryAfterMs;
  return c;
};

class AcquireCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly tokens: number | undefined) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    r.command += 1;
    const entry: Acquire = {
      id: r.acquires.length,
      cost: this.tokens,
      controller: new AbortController(),
      state: 'waiting',
    };
    r.acquires.push(entry);
    const budget = r.options.tokensPerMinute;
    r.gate.acquire(entry.controller.signal, this.tokens).then(
      () => {
        entry.state = 'granted';
        const cost = budget === undefined ? 0 : (this.tokens ?? 0);
        r.grants.push({ id: entry.id, at: Date.now(), cost, afterCommand: r.command });
      },
      (error: unknown) => {
        entry.state = 'rejected';
        entry.error = error;
      },
    );
    await flush();
    const unlimited = r.options.requestsPerMinute === undefined && budget === undefined;
    if (unlimited && r.closures.length === 0) {
      // Until the first 429 and without budgets, the gate costs nothing: it lets the call go now.
      expect(entry.state).toBe('granted');
    }
    if (budget !== undefined && (this.tokens ?? 0) > budget) {
      // A call larger than the whole budget is refused at once.
      expect(entry.state).toBe('rejected');
      expect(entry.error).toBeInstanceOf(RateLimitBudgetError);
    }
    checkInvariants(r);
  }
  toString = () => `acquire(${this.tokens})`;
}

class AcquireAbortedCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_m: Model, r: Real) {
    r.command += 1;
    const reason = new Error('aborted before asking');
    const outcome = await r.gate.acquire(AbortSignal.abort(reason)).then(
      () => 'granted',
      (error: unknown) => error,
    );
    expect(outcome).toBe(reason);
    checkInvariants(r);
  }
  toString = () => 'acquire(aborted signal)';
}

class AdvanceCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    r.command += 1;
    await vi.advanceTimersByTimeAsync(this.ms);
    checkInvariants(r);
  }
  toString = () => `advance(${this.ms})`;
}

class SuccessCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_m: Model, r: Real) {
    r.command += 1;
    r.gate.onSuccess();
    await flush();
    checkInvariants(r);
  }
  toString = () => 'onSuccess()';
}

class RateLimitedCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly hintMs: number | undefined) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    r.command += 1;
    const now = Date.now();
    r.gate.onRateLimited(classification(this.hintMs));
    // The gate stays closed at least the hint (capped by maxWaitMs), or without one the backoff.
    const maxWaitMs = r.options.maxWaitMs ?? 60_000;
    const wait = Math.min(maxWaitMs, this.hintMs ?? r.options.backoffMs ?? 1_000);
    r.closures.push({ from: now, until: now + wait, command: r.command });
    await flush();
    checkInvariants(r);
  }
  toString = () => `onRateLimited(${this.hintMs})`;
}

class AbortCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    r.command += 1;
    const waiting = r.acquires.filter((a) => a.state === 'waiting');
    const target = waiting[this.pick % Math.max(1, waiting.length)];
    if (target) {
      const reason = new Error(`caller ${target.id} gave up`);
      target.controller.abort(reason);
      await flush(); // no time passes: the rejection is prompt
      expect(target.state).toBe('rejected');
      expect(target.error).toBe(reason);
      expect(getEventListeners(target.controller.signal, 'abort')).toHaveLength(0);
    }
    checkInvariants(r);
  }
  toString = () => `abort(#${this.pick})`;
}

/**
 * Most grants within a window of `spanMs` a token bucket of this rate and capacity allows. The
 * gate treats a wait under a microsecond as none (float slack), so a grant may come up to 1 µs
 * early: at most `ratePerSec / 1e6` of a token more.
 */
const bucketBound = (ratePerSec: number, capacity: number, spanMs: number, overshoot = 0) =>
  capacity + (ratePerSec * spanMs) / 1000 + overshoot + ratePerSec / 1e6 + 1e-9;

function checkInvariants(r: Real): void {
  const { grants, options } = r;
  // FIFO: the gate lets waiters through in the order they came.
  const order = grants.map((g) => g.id);
  expect(order).toEqual([...order].sort((a, b) => a - b));
  // Nothing goes through while the gate is closed after a 429.
  for (const c of r.closures) {
    for (const g of grants) {
      if (g.afterCommand >= c.command && g.at < c.until) {
        throw new Error(`grant #${g.id} at ${g.at} while closed from ${c.from} until ${c.until}`);
      }
    }
  }
  // The budgets hold over every window from one grant to another.
  const rpm = options.requestsPerMinute;
  const tpm = options.tokensPerMinute;
  for (let i = 0; i < grants.length; i++) {
    let count = 0;
    let tokens = 0;
    let maxCost = 0;
    for (let j = i; j < grants.length; j++) {
      const gi = grants[i] as Grant;
      const gj = grants[j] as Grant;
      count += 1;
      tokens += gj.cost;
      maxCost = Math.max(maxCost, gj.cost);
      const span = gj.at - gi.at;
      if (rpm !== undefined) {
        expect(count).toBeLessThanOrEqual(bucketBound(rpm / 60, Math.max(1, rpm / 60), span));
      }
      if (tpm !== undefined) {
        const capacity = tpm / 60;
        const overshoot = Math.max(0, maxCost - capacity);
        expect(tokens).toBeLessThanOrEqual(bucketBound(tpm / 60, capacity, span, overshoot));
      }
    }
  }
}

const tuning = fc.record(
  {
    decreaseFactor: fc.double({ min: 0.1, max: 1, noNaN: true }),
    minRatePerSec: fc.double({ min: 0.5, max: 20, noNaN: true }),
    backoffMs: fc.integer({ min: 1, max: 2_000 }),
    maxWaitMs: fc.integer({ min: 1, max: 5_000 }),
  },
  { requiredKeys: [] },
);
const budgets = fc.oneof(
  fc.constant({}), // the adaptive gate alone
  fc.record({ requestsPerMinute: fc.integer({ min: 1, max: 600 }) }),
  fc.record({ tokensPerMinute: fc.integer({ min: 600, max: 60_000 }) }),
  fc.record({
    requestsPerMinute: fc.integer({ min: 1, max: 600 }),
    tokensPerMinute: fc.integer({ min: 600, max: 60_000 }),
  }),
);
const optionsArb: fc.Arbitrary<RateLimitOptions> = fc
  .tuple(budgets, tuning)
  .map(([b, t]) => ({ ...b, ...t }));

const acquire = fc
  .option(fc.integer({ min: 0, max: 2_000 }), { nil: undefined })
  .map((t) => new AcquireCommand(t));
const advance = fc.integer({ min: 0, max: 3_000 }).map((ms) => new AdvanceCommand(ms));
const commands = fc.commands(
  [
    acquire,
    acquire,
    acquire,
    advance,
    advance,
    fc.constant(new SuccessCommand()),
    fc.constant(new SuccessCommand()),
    fc
      .option(fc.integer({ min: 0, max: 4_000 }), { nil: undefined })
      .map((h) => new RateLimitedCommand(h)),
    fc.nat(20).map((pick) => new AbortCommand(pick)),
    fc.constant(new AcquireAbortedCommand()),
  ],
  { maxCommands: 80, size: 'large' },
);

afterEach(() => {
  vi.useRealTimers();
});

describe('RateLimitGate (model-based)', () => {
  it('keeps its budgets, its closures, FIFO order and prompt aborts, and lets every waiter through', async () => {
    await fc.assert(
      fc.asyncProperty(optionsArb, commands, async (options, cmds) => {
        vi.useFakeTimers({ now: 1_000_000 });
        try {
          const events: RateLimitGateEvent[] = [];
          const real: Real = {
            gate: new RateLimitGate(options, (e) => events.push(e)),
            options,
            acquires: [],
            grants: [],
            closures: [],
            events,
            command: 0,
          };
          await fc.asyncModelRun(() => ({ model: {}, real }), cmds);
          // Liveness: with no more 429s, every waiter gets through, and nothing is left behind.
          await vi.runAllTimersAsync();
          for (const a of real.acquires) {
            expect(a.state, `acquire #${a.id}`).not.toBe('waiting');
            expect(getEventListeners(a.controller.signal, 'abort')).toHaveLength(0);
          }
          expect(vi.getTimerCount()).toBe(0);
          checkInvariants(real);
          for (const e of events) {
            if (e.type === 'rateLimited') expect(e.waitMs).toBeGreaterThan(0);
            else expect(e.ratePerSec).toBeGreaterThan(0);
          }
        } finally {
          vi.useRealTimers();
        }
      }),
      { numRuns: numRuns(150) },
    );
  });
});

// After a 429, once its hint has passed and calls keep succeeding, the wait before a call tends
// to zero: whatever the tuning, the traffic before the 429 and the wave it came in, groups of
// calls that all succeed (each group waits for its calls, then pauses) wait nothing at all once
// the gate has been open for `forgetAfterMs`. The gate's own budgets are left out: a fixed
// budget is a wait the caller asked for.

interface Wave {
  /** Requests in flight when the 429s come back. */
  size: number;
  /** How many of them succeed (the rest get 429s). */
  succeeded: number;
  /** The 429s' hints, one per request rate-limited (cycled). */
  hints: (number | undefined)[];
  /** Time before the wave is sent. */
  gapMs: number;
}
interface Group {
  size: number;
  latencyMs: number;
  pauseMs: number;
}

const waveArb: fc.Arbitrary<Wave> = fc
  .record({
    size: fc.integer({ min: 1, max: 40 }),
    share: fc.double({ min: 0, max: 1, noNaN: true }),
    hints: fc.array(fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: undefined }), {
      minLength: 1,
      maxLength: 5,
    }),
    gapMs: fc.integer({ min: 0, max: 3_000 }),
  })
  .map(({ size, share, hints, gapMs }) => ({
    size,
    succeeded: Math.min(size - 1, Math.floor(size * share)),
    hints,
    gapMs,
  }));
const groupArb: fc.Arbitrary<Group> = fc.record({
  size: fc.integer({ min: 1, max: 8 }),
  latencyMs: fc.integer({ min: 0, max: 300 }),
  pauseMs: fc.integer({ min: 100, max: 2_000 }),
});
const paceTuning = fc.record(
  {
    increasePerSec: fc.double({ min: 0, max: 10, noNaN: true }),
    decreaseFactor: fc.double({ min: 0.1, max: 1, noNaN: true }),
    minRatePerSec: fc.double({ min: 0.5, max: 20, noNaN: true }),
    forgetAfterMs: fc.integer({ min: 0, max: 5_000 }),
    backoffMs: fc.integer({ min: 1, max: 2_000 }),
    maxWaitMs: fc.integer({ min: 1, max: 5_000 }),
  },
  { requiredKeys: ['forgetAfterMs', 'maxWaitMs'] },
);

/** Advances fake time in 10 ms steps until every promise has settled (an hour at most). */
async function settle(promises: Promise<unknown>[]): Promise<void> {
  let done = false;
  void Promise.all(promises).then(() => {
    done = true;
  });
  const bound = Date.now() + 3_600_000;
  while (!done && Date.now() < bound) await vi.advanceTimersByTimeAsync(10);
  expect(done, 'calls still waiting after an hour').toBe(true);
}

describe('RateLimitGate after a 429 (property)', () => {
  it('lets calls that keep succeeding go without waiting once the gate has been open for forgetAfterMs', async () => {
    await fc.assert(
      fc.asyncProperty(
        paceTuning,
        fc.integer({ min: 0, max: 60 }), // successes before, one every 20 ms
        fc.array(waveArb, { minLength: 1, maxLength: 3 }),
        fc.array(groupArb, { minLength: 1, maxLength: 6 }),
        async (options, before, waves, groups) => {
          vi.useFakeTimers({ now: 1_000_000 });
          try {
            const gate = new RateLimitGate(options, () => {});
            for (let i = 0; i < before; i++) {
              await gate.acquire(undefined);
              gate.onSuccess();
              await vi.advanceTimersByTimeAsync(20);
            }
            let last429 = 0;
            for (const wave of waves) {
              await vi.advanceTimersByTimeAsync(wave.gapMs);
              const sent = Array.from({ length: wave.size }, () => gate.acquire(undefined));
              await settle(sent);
              for (let i = 0; i < wave.succeeded; i++) gate.onSuccess();
              for (let i = wave.succeeded; i < wave.size; i++) {
                gate.onRateLimited(classification(wave.hints[i % wave.hints.length]));
              }
              last429 = Date.now();
            }
            // Every closure ends within maxWaitMs; then forgetAfterMs of quiet forgets the pace.
            const settledAt = last429 + options.maxWaitMs + options.forgetAfterMs;
            const waits: { at: number; waitMs: number }[] = [];
            const call = async () => {
              const asked = Date.now();
              await gate.acquire(undefined);
              waits.push({ at: asked, waitMs: Date.now() - asked });
            };
            // the groups, cycled until two rounds after the gate has settled
            let round = 0;
            for (let i = 0; Date.now() < settledAt || round < 2; i++) {
              const group = groups[i % groups.length] as Group;
              if (Date.now() >= settledAt) round++;
              const calls = Array.from({ length: group.size }, () =>
                call().then(async () => {
                  await new Promise((resolve) => setTimeout(resolve, group.latencyMs));
                  gate.onSuccess();
                }),
              );
              await settle(calls);
              await vi.advanceTimersByTimeAsync(group.pauseMs);
            }
            const late = waits.filter((w) => w.at >= settledAt);
            expect(late.length).toBeGreaterThan(0);
            for (const w of late) expect(w.waitMs).toBe(0);
            expect(vi.getTimerCount()).toBe(0);
          } finally {
            vi.useRealTimers();
          }
        },
      ),
      { numRuns: numRuns(100) },
    );
  });
});
