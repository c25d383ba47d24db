import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type IBackoff,
  type IBreaker,
  type IHalfOpenAfterBackoffContext,
  SamplingBreaker,
} from 'cockatiel';
import type { ErrorClassification } from '../errors/ErrorClassification.js';
import { sleep } from '../signals.js';
import { sendLeave } from '../store/heldLeave.js';
import type {
  EnterAnswer,
  LeaveAnswer,
  PolicyStore,
  SharedBreakerOutcome,
  SharedBreakerSettings,
} from '../store/PolicyStore.js';
import { type SharedState, sharedStateOf } from '../store/SharedState.js';
import type { SharedAttempt } from '../store/sharedAttempt.js';
import { type CallRecord, classifyOnce } from './callRecord.js';
import {
  type ConsecutiveBreakerOptions,
  checkBreakerOptions,
  type HalfOpenOptions,
  type SamplingBreakerOptions,
} from './options.js';
import { PipelineStage, type StageFn } from './PipelineStage.js';
import { checkReporting, type ReportingOptions, withoutReporting } from './reporter.js';

/** A circuit breaker's state, as `LlmPolicy.circuitState` reports it. */
export type CircuitStateName = 'closed' | 'open' | 'halfOpen' | 'isolated';

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'halfOpen',
  [CircuitState.Isolated]: 'isolated',
};

/** The defaults of {@link llmCircuitBreaker}: the chat preset's breaker. */
export const CIRCUIT_BREAKER_DEFAULTS: Readonly<Required<ConsecutiveBreakerOptions>> =
  Object.freeze({
    consecutiveFailures: 5,
    halfOpenAfterMs: 1_000,
    maxHalfOpenAfterMs: 60_000,
  });

/**
 * Options of {@link llmCircuitBreaker}: a {@link CircuitBreakerOptions} in part, where it
 * reports, and its store. Left out: `consecutiveFailures` 5 (unless the sampling options are
 * given), `halfOpenAfterMs` 1 s, and `maxHalfOpenAfterMs` 60 s when `halfOpenAfterMs` is left out
 * too ({@link CIRCUIT_BREAKER_DEFAULTS}).
 */
export type LlmCircuitBreakerOptions = (
  | Partial<ConsecutiveBreakerOptions>
  | (Partial<HalfOpenOptions> & Omit<SamplingBreakerOptions, keyof HalfOpenOptions>)
) &
  ReportingOptions & {
    /**
     * Shares the breaker with every breaker of the same `name` on this store, in any process
     * (docs/distributed.md). Default: none (in-process).
     */
    store?: PolicyStore;
  };

/** How often a call waiting for another process's trial call asks for its outcome, in ms. */
const TRIAL_POLL_MS = 50;

/** How long one process holds the fleet's half-open trial at least, in ms. */
const PROBE_LEASE_MS = 30_000;

/**
 * `local` as cockatiel's breaker while the breaker is shared: it counts as always, but opens the
 * circuit only while the store is unavailable (the store decides for the fleet otherwise).
 */
function whileUnshared(local: IBreaker, sharing: () => boolean): IBreaker {
  return {
    get state() {
      return local.state;
    },
    set state(value: unknown) {
      local.state = value;
    },
    success: (state) => local.success(state),
    failure: (state) => local.failure(state) && !sharing(),
  };
}

/** `options` with the defaults of {@link CIRCUIT_BREAKER_DEFAULTS} filled in. */
function withDefaults(options: Record<string, unknown>): Record<string, unknown> {
  const { consecutiveFailures, halfOpenAfterMs, maxHalfOpenAfterMs } = CIRCUIT_BREAKER_DEFAULTS;
  const sampling = ['failureRatio', 'minimumCalls', 'samplingMs'].some((k) => k in options);
  return {
    ...(sampling ? {} : { consecutiveFailures }),
    ...(options.halfOpenAfterMs === undefined ? { halfOpenAfterMs, maxHalfOpenAfterMs } : {}),
    ...options,
  };
}

/**
 * The circuit-breaker stage ({@link llmCircuitBreaker}): cockatiel's CircuitBreakerPolicy counting
 * only failures whose classification has `breakerFailure` (5xx, overload, timeouts, connection
 * failures; never 400s, 429s or aborts), with a `ConsecutiveBreaker` or a `SamplingBreaker`. It
 * stays open `halfOpenAfterMs` the first time, twice as long on each consecutive opening up to
 * `maxHalfOpenAfterMs`, and at least as long as the server's wait hint of the failure that
 * opened it. It emits `break`, `halfOpen` and `reset`, and while open, tells the call's retry
 * stage when it will let a trial call through. With a `store`, failures are counted across the
 * fleet, it opens for all, one process makes the fleet's trial call, and its success closes it
 * for all: a shared check before cockatiel's policy and a shared record after it; the policy's
 * own state serves while the store is unavailable.
 */
export class LlmCircuitBreakerPolicy extends PipelineStage {
  /** The cockatiel policy inside: `isolate()`, `toJSON()`, `onStateChange` and so on. */
  readonly policy: CircuitBreakerPolicy;
  /** When the open breaker lets a trial call through, on the `Date.now()` scale. */
  halfOpenAt = 0;
  /**
   * The settings sent to the store, when the breaker is shared.
   * @internal
   */
  readonly sharedSettings: SharedBreakerSettings | undefined;
  private opening: { reason: ErrorClassification; openMs: number } | undefined;
  private readonly shared: SharedState | undefined;
  /** The fleet's breaker as last heard from the store. */
  private view: CircuitStateName = 'closed';
  /** True while the local policy is closed by hand to follow the fleet: no events. */
  private quiet = false;

  /**
   * @param options The breaker's options.
   * @param shared The policy's shared state (`createPolicy` gives the one its gate shares).
   * @internal
   */
  constructor(options: LlmCircuitBreakerOptions = {}, shared?: SharedState) {
    super(checkReporting('circuitBreaker', options));
    const { store, ...rest } = withoutReporting(options);
    this.shared = sharedStateOf('circuitBreaker.store', store, this.reporter, shared);
    const o = checkBreakerOptions(withDefaults(rest));
    const local =
      'failureRatio' in o
        ? new SamplingBreaker({
            threshold: o.failureRatio,
            duration: o.samplingMs,
            minimumRps: (o.minimumCalls * 1000) / o.samplingMs,
          })
        : new ConsecutiveBreaker(o.consecutiveFailures);
    const first = o.halfOpenAfterMs;
    const longest = o.maxHalfOpenAfterMs ?? first;
    const sharedState = this.shared;
    const breaker =
      sharedState === undefined ? local : whileUnshared(local, () => sharedState.available);
    this.sharedSettings =
      sharedState === undefined
        ? undefined
        : {
            consecutiveFailures: 'failureRatio' in o ? 0 : o.consecutiveFailures,
            failureRatio: 'failureRatio' in o ? o.failureRatio : 0,
            minimumCalls: 'failureRatio' in o ? o.minimumCalls : 0,
            samplingMs: 'failureRatio' in o ? o.samplingMs : 0,
            halfOpenAfterMs: first,
            maxHalfOpenAfterMs: longest,
            probeLeaseMs: Math.max(PROBE_LEASE_MS, first),
          };
    const openFor = (
      context: IHalfOpenAfterBackoffContext,
    ): IBackoff<IHalfOpenAfterBackoffContext> => {
      const { result } = context;
      // Only errors open it: the policy has no result filter.
      const reason = classifyOnce('error' in result ? result.error : result.value);
      const grown = Math.min(first * 2 ** (context.attempt - 1), longest);
      const openMs = Math.max(grown, reason.retryAfterMs ?? 0);
      this.opening = { reason, openMs };
      return { duration: openMs, next: openFor };
    };
    this.policy = circuitBreaker(
      handleWhen((error) => classifyOnce(error).breakerFailure),
      { halfOpenAfter: { next: openFor }, breaker },
    );
    const { reporter } = this;
    this.policy.onBreak((cause) => {
      if (this.quiet) return;
      const opening = 'isolated' in cause ? undefined : this.opening;
      // Read the clock after cockatiel stamped the opening, so a wait until then is never short.
      if (opening !== undefined) this.halfOpenAt = Date.now() + opening.openMs;
      reporter.report('break', () =>
        opening === undefined ? {} : { reason: opening.reason, openMs: opening.openMs },
      );
    });
    this.policy.onHalfOpen(() => reporter.report('halfOpen', () => ({})));
    this.policy.onReset(() => {
      if (!this.quiet) reporter.report('reset', () => ({}));
    });
  }

  /** The breaker's state: the fleet's while it is shared through an available store. */
  get state(): CircuitStateName {
    const local = STATE_NAMES[this.policy.state];
    if (local === 'isolated' || !this.shared?.available) return local;
    return this.view;
  }

  protected run<T>(fn: StageFn<T>, call: CallRecord): Promise<T> {
    const { shared } = this;
    if (shared === undefined) return this.runLocal(fn, call);
    const slot = call.shared;
    if (slot?.breakerAsked === true) {
      return slot.entry === undefined
        ? this.runLocal(fn, call)
        : this.runShared(fn, call, slot.entry, slot);
    }
    return this.runAlone(fn, call, shared);
  }

  /** Shared without a shared gate outside: a round trip of its own each way. */
  private async runAlone<T>(fn: StageFn<T>, call: CallRecord, shared: SharedState): Promise<T> {
    const settings = this.sharedSettings as SharedBreakerSettings;
    const entry = await shared.enter({ breaker: settings });
    if (entry === undefined) return this.runLocal(fn, call);
    const slot: SharedAttempt = {
      entry,
      breakerAsked: true,
      breaker: undefined,
      onLeft: undefined,
    };
    try {
      return await this.runShared(fn, call, entry, slot);
    } finally {
      const { breaker, onLeft } = slot;
      if (breaker !== undefined && (breaker.outcome !== 'none' || breaker.probe)) {
        sendLeave(shared, call.heldLeaves, { sentAt: entry.at, breaker }, (answer) =>
          onLeft?.(answer),
        );
      }
    }
  }

  /** Through cockatiel's policy once the fleet's breaker let the attempt go. */
  private async runShared<T>(
    fn: StageFn<T>,
    call: CallRecord,
    entry: EnterAnswer,
    slot: SharedAttempt,
  ): Promise<T> {
    const settings = this.sharedSettings as SharedBreakerSettings;
    let answer = entry;
    // While another process makes the fleet's trial call, wait for its outcome (as cockatiel
    // holds calls while its own trial call is under way).
    while (answer.breaker === 'halfOpen') {
      this.observe(answer);
      await sleep(Math.min(TRIAL_POLL_MS, Math.max(1, answer.breakerForMs)), call.signal);
      const next = await (this.shared as SharedState).enter({ breaker: settings });
      if (next === undefined) return this.runLocal(fn, call);
      answer = next;
    }
    const verdict = answer.breaker;
    this.observe(answer);
    if (verdict === 'open') {
      call.holdNext('breaker', this.halfOpenAt);
      throw new BrokenCircuitError();
    }
    this.follow();
    const probe = verdict === 'probe';
    const record = (outcome: SharedBreakerOutcome, reason?: ErrorClassification): void => {
      slot.breaker = { ...settings, outcome, probe, hintMs: reason?.retryAfterMs ?? -1 };
      slot.onLeft = (answer) => this.left(answer, reason);
    };
    let value: T;
    try {
      value = await this.policy.execute(fn, call.signal);
    } catch (error) {
      const reason = call.reasonOf(error);
      record(
        reason.kind === 'aborted' ? 'none' : reason.breakerFailure ? 'failure' : 'success',
        reason,
      );
      throw error;
    }
    record('success');
    return value;
  }

  /** What the fleet's breaker said on an attempt's way in: events on a change. */
  private observe(entry: EnterAnswer): void {
    const { reporter } = this;
    switch (entry.breaker) {
      case 'closed':
        if (this.view !== 'closed') {
          this.view = 'closed';
          reporter.report('reset', () => ({}));
        }
        return;
      case 'probe':
        this.view = 'halfOpen';
        reporter.report('halfOpen', () => ({}));
        return;
      case 'open': {
        const openMs = entry.breakerForMs;
        this.halfOpenAt = Date.now() + openMs;
        if (this.view !== 'open') {
          this.view = 'open';
          reporter.report('break', () => ({ openMs: Math.round(openMs) }));
        }
        return;
      }
      case 'halfOpen':
        this.view = 'halfOpen';
    }
  }

  /** What the fleet's breaker did on an attempt's way out. */
  private left(answer: LeaveAnswer, reason: ErrorClassification | undefined): void {
    const change = answer.breaker;
    if (change === undefined) return;
    if (change === 'reset') {
      if (this.view !== 'closed') this.reporter.report('reset', () => ({}));
      this.view = 'closed';
      return;
    }
    const openMs = change.opened;
    this.halfOpenAt = Date.now() + openMs;
    this.view = 'open';
    this.reporter.report('break', () => (reason === undefined ? { openMs } : { reason, openMs }));
  }

  /**
   * Closes cockatiel's policy if it opened on its own while the store was unavailable: the
   * fleet's breaker, which let this attempt go, decides again.
   */
  private follow(): void {
    if (this.policy.state !== CircuitState.Open) return;
    this.quiet = true;
    try {
      this.policy.isolate().dispose();
    } finally {
      this.quiet = false;
    }
  }

  private async runLocal<T>(fn: StageFn<T>, call: CallRecord): Promise<T> {
    try {
      return await this.policy.execute(fn, call.signal);
    } catch (error) {
      // Refused while open, or the failure that opened it (or failed its trial): a retry waits
      // for the next trial instead of spending an attempt on the open breaker.
      if (this.state === 'open') call.holdNext('breaker', this.halfOpenAt);
      throw error;
    }
  }
}

/**
 * The circuit-breaker stage as a cockatiel policy, for your own `wrap()` (see
 * {@link LlmCircuitBreakerPolicy}). Default {@link CIRCUIT_BREAKER_DEFAULTS}: opens after 5
 * consecutive failures for 1 s, doubling up to 60 s while the outage lasts. Throws a TypeError
 * naming a bad option and its value.
 */
export function llmCircuitBreaker(options: LlmCircuitBreakerOptions = {}): LlmCircuitBreakerPolicy {
  return new LlmCircuitBreakerPolicy(options);
}
