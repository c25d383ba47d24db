import type { PolicyEventMap } from '../events.js';
import { type FetchFunction, gateFetch } from '../rateLimit/gateFetch.js';
import { RateLimitGate } from '../rateLimit/RateLimitGate.js';
import { RateLimitHoldError } from '../rateLimit/RateLimitHoldError.js';
import type { RateLimitOptions } from '../rateLimit/rateLimitOptions.js';
import { usageTokensOf } from '../rateLimit/usageTokens.js';
import { sleep } from '../signals.js';
import { sendLeave } from '../store/heldLeave.js';
import type { PolicyStore, SharedGateSettings } from '../store/PolicyStore.js';
import { type SharedState, sharedStateOf } from '../store/SharedState.js';
import type { SharedAttempt } from '../store/sharedAttempt.js';
import type { CallRecord } from './callRecord.js';
import type { LlmCircuitBreakerPolicy } from './llmCircuitBreaker.js';
import { PipelineStage, type StageFn } from './PipelineStage.js';
import { checkReporting, type ReportingOptions, withoutReporting } from './reporter.js';

/** Options of {@link rateLimitGate}: {@link RateLimitOptions}, where it reports, and its store. */
export type RateLimitGateOptions = RateLimitOptions &
  ReportingOptions & {
    /**
     * Shares the gate's budgets, closure and pace with every gate of the same `name` on this
     * store, in any process (docs/distributed.md). Default: none (in-process).
     */
    store?: PolicyStore;
  };

/** An increase of the shared pace is reported once it is this much above the last reported. */
const REPORT_INCREASE = 1.1;

/**
 * The rate-limit stage ({@link rateLimitGate}), inside the retry stage: every attempt, first or
 * retry, waits at the stage's shared {@link RateLimitGate} (with the call's declared `tokens`),
 * then reports its outcome: a 429 (`rate_limit`) closes the gate, and holds the call's next
 * attempt until it reopens; any other answer counts as not rate-limited, and a reply's `usage`
 * (see `usageTokensOf`) corrects `tokensPerMinute` by what the call really used. An attempt that
 * never got an answer (`aborted`: the caller's abort, an open circuit) reports nothing. The wait
 * honours the call's signal (the caller's abort and the total timeout) and is neither a retry nor
 * a breaker failure. A call that would be held longer than its `maxWaitMs` (the gate closed
 * by a 429, the learned pace, a budget, the callers ahead of it) fails at once, without a request,
 * with a {@link RateLimitHoldError}, and holds its next attempt for as long: the retry stage gives
 * up on it (`wait_too_long`). With a `store`, the budgets, the closure and the pace are the
 * fleet's (one round trip to the store on the way in, one on the way out), and the gate's own
 * state serves while the store is unavailable. Emits `gateWait`, `rateLimited` and `paced`.
 */
export class RateLimitGatePolicy extends PipelineStage {
  /** The gate every call through this stage shares. */
  readonly gate: RateLimitGate;
  /**
   * A `fetch` for the SDK's client that tells the gate each request's estimated cost and each
   * reply's rate-limit headers, so that it holds callers before a 429 (see `gateFetch`).
   */
  readonly fetch: FetchFunction;
  private readonly shared: SharedState | undefined;
  private readonly breaker: LlmCircuitBreakerPolicy | undefined;
  private sharedSettings: SharedGateSettings | undefined;
  /** When the fleet's gate reopens, as last heard from the store (`Date.now()` scale). */
  private sharedClosedUntil = 0;
  /** Attempts of this process waiting for their place in the fleet's budgets or pace. */
  private backlog = 0;
  private reportedPace = Number.NaN;

  /**
   * @param options The gate's options.
   * @param shared The policy's shared state (`createPolicy` gives the one its breaker shares).
   * @param breaker The breaker stage inside, asked in the same round trip.
   * @internal
   */
  constructor(
    options: RateLimitGateOptions = {},
    shared?: SharedState,
    breaker?: LlmCircuitBreakerPolicy,
  ) {
    super(checkReporting('rateLimit', options));
    const { reporter } = this;
    const { store, ...rest } = withoutReporting(options);
    this.shared = sharedStateOf('rateLimit.store', store, reporter, shared);
    this.gate = new RateLimitGate(rest, (event) => {
      const { type, ...payload } = event;
      // With a store, the fleet's pace is reported instead of this process's.
      if (type === 'paced' && this.shared?.available) return;
      reporter.report(type, () => payload as PolicyEventMap[typeof type]);
    });
    this.breaker = breaker;
    this.fetch = gateFetch(this.gate, rest.countTokens);
  }

  protected run<T>(fn: StageFn<T>, call: CallRecord): Promise<T> {
    return this.shared === undefined
      ? this.runLocal(fn, call)
      : this.runShared(fn, call, this.shared);
  }

  private async runLocal<T>(fn: StageFn<T>, call: CallRecord): Promise<T> {
    const heldFrom = Date.now();
    await this.acquireLocal(call);
    return this.attempt(fn, call, heldFrom);
  }

  /** The attempt, once it has its place: `gateWait`, then its outcome reported to the gate. */
  private async attempt<T>(fn: StageFn<T>, call: CallRecord, heldFrom: number): Promise<T> {
    const { attempt } = call;
    this.reporter.report('gateWait', () => ({ attempt, waitMs: Date.now() - heldFrom }));
    let value: T;
    try {
      value = await fn({ signal: call.signal });
    } catch (error) {
      this.failed(error, call);
      throw error;
    }
    this.answered(value, call);
    return value;
  }

  /** Waits at the process's own gate, refusing a wait longer than the call's `maxWaitMs`. */
  private async acquireLocal(call: CallRecord): Promise<void> {
    try {
      await this.gate.acquire(call.signal, call.tokens, call.maxWaitMs);
    } catch (error) {
      if (error instanceof RateLimitHoldError) call.holdNext('gate', Date.now() + error.waitMs);
      throw error;
    }
  }

  /** Reports a successful attempt to the gate, with the tokens its reply says it used. */
  private answered(value: unknown, call: CallRecord): void {
    const { gate } = this;
    gate.onSuccess();
    const used = usageTokensOf(value);
    if (used !== undefined) gate.onUsage(used, call.tokens);
  }

  private async runShared<T>(fn: StageFn<T>, call: CallRecord, shared: SharedState): Promise<T> {
    const heldFrom = Date.now();
    const breaker = this.breaker?.sharedSettings;
    const { maxWaitMs } = call;
    const entry = await shared.enter({
      gate: {
        ...this.settings(),
        cost: this.gate.costOf(call.tokens),
        refuseAboveMs: maxWaitMs ?? -1,
      },
      ...(breaker === undefined ? {} : { breaker }),
    });
    if (entry === undefined) await this.acquireLocal(call);
    else {
      this.heard(entry.closedForMs, entry.paceRatePerSec);
      if (entry.waitMs > 0) this.gate.holdBudgetsUntil(Date.now() + entry.waitMs);
      if (call.signal.aborted) throw call.signal.reason;
      // Only an attempt the fleet's breaker lets through waits: a refused one fails inside, and
      // the fleet's probe is never refused (its trial would stay taken until its key expires).
      if (entry.breaker === 'closed' || entry.breaker === 'probe') {
        if (entry.refused) {
          call.holdNext('gate', Date.now() + entry.waitMs);
          throw new RateLimitHoldError(Math.ceil(entry.waitMs), maxWaitMs ?? 0);
        }
        if (entry.waitMs >= 1) await this.wait(entry.waitMs, call);
      }
    }
    const slot: SharedAttempt = {
      entry,
      breakerAsked: breaker !== undefined,
      breaker: undefined,
      onLeft: undefined,
    };
    call.shared = slot;
    let value: T;
    try {
      value = await this.attempt(fn, call, heldFrom);
    } catch (error) {
      call.shared = undefined;
      const { kind, retryAfterMs } = call.reasonOf(error);
      const outcome =
        kind === 'rate_limit' ? 'rateLimited' : kind === 'aborted' ? undefined : 'answered';
      this.leave(shared, slot, call, outcome, retryAfterMs);
      throw error;
    }
    call.shared = undefined;
    this.leave(shared, slot, call, 'answered', undefined);
    return value;
  }

  /** Waits for the attempt's place in the fleet's budgets and pace. */
  private async wait(ms: number, call: CallRecord): Promise<void> {
    this.backlog++;
    try {
      await sleep(ms, call.signal);
    } finally {
      this.backlog--;
    }
  }

  /** When the gate reopens: its own closure, or the fleet's as last heard from the store. */
  private get reopensAt(): number {
    return Math.max(this.gate.reopensAt, this.shared?.available ? this.sharedClosedUntil : 0);
  }

  /** Reports a failed attempt to the gate. */
  private failed(error: unknown, call: CallRecord): void {
    const { gate } = this;
    const reason = call.reasonOf(error);
    if (reason.kind === 'rate_limit') {
      gate.onRateLimited(reason);
      call.holdNext('gate', this.reopensAt);
    } else if (reason.kind !== 'aborted') gate.onSuccess();
  }

  /** The way out: one round trip with the gate's outcome and the breaker's, not awaited. */
  private leave(
    shared: SharedState,
    slot: SharedAttempt,
    call: CallRecord,
    outcome: 'answered' | 'rateLimited' | undefined,
    hintMs: number | undefined,
  ): void {
    const { entry, breaker } = slot;
    if (entry === undefined) return;
    if (
      outcome === undefined &&
      (breaker === undefined || (breaker.outcome === 'none' && !breaker.probe))
    ) {
      return;
    }
    const gate =
      outcome === undefined
        ? undefined
        : { ...this.settings(), outcome, hintMs: hintMs ?? -1, backlogged: this.backlog > 0 };
    sendLeave(
      shared,
      call.heldLeaves,
      {
        sentAt: entry.at,
        ...(breaker === undefined ? {} : { breaker }),
        ...(gate === undefined ? {} : { gate }),
      },
      (answer) => {
        this.heard(answer.closedForMs, answer.paceRatePerSec);
        slot.onLeft?.(answer);
      },
    );
  }

  private settings(): SharedGateSettings {
    if (this.sharedSettings === undefined) {
      const o = this.gate.settings;
      this.sharedSettings = {
        requestsPerMinute: o.requestsPerMinute ?? 0,
        tokensPerMinute: o.tokensPerMinute ?? 0,
        increasePerSec: o.increasePerSec,
        decreaseFactor: o.decreaseFactor,
        minRatePerSec: o.minRatePerSec,
        forgetAfterMs: o.forgetAfterMs,
        backoffMs: o.backoffMs,
        maxWaitMs: o.maxWaitMs,
      };
    }
    return this.sharedSettings;
  }

  /** What the store said of the fleet's closure and pace. */
  private heard(closedForMs: number, paceRatePerSec: number): void {
    if (closedForMs > 0) {
      this.sharedClosedUntil = Math.max(this.sharedClosedUntil, Date.now() + closedForMs);
    }
    if (paceRatePerSec <= 0) {
      this.reportedPace = Number.NaN;
      return;
    }
    const last = this.reportedPace;
    if (paceRatePerSec >= last && paceRatePerSec < last * REPORT_INCREASE) return;
    this.reportedPace = paceRatePerSec;
    const ratePerSec = Math.round(paceRatePerSec * 100) / 100;
    this.reporter.report('paced', () => ({ ratePerSec }));
  }
}

/**
 * The rate-limit gate as a cockatiel policy, for your own `wrap()` (see
 * {@link RateLimitGatePolicy}): `rateLimitGate()` is the adaptive gate alone, which costs nothing
 * until the server's first 429; `requestsPerMinute` / `tokensPerMinute` add fixed budgets, and
 * `store` shares them with the fleet. Throws a TypeError naming a bad option and its value.
 */
export function rateLimitGate(options: RateLimitGateOptions = {}): RateLimitGatePolicy {
  return new RateLimitGatePolicy(options);
}
