import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type IBackoff,
  type IHalfOpenAfterBackoffContext,
  SamplingBreaker,
} from 'cockatiel';
import type { ErrorClassification } from '../errors/ErrorClassification.js';
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
 * Options of {@link llmCircuitBreaker}: a {@link CircuitBreakerOptions} in part, and where it
 * reports. Left out: `consecutiveFailures` 5 (unless the sampling options are given),
 * `halfOpenAfterMs` 1 s, and `maxHalfOpenAfterMs` 60 s when `halfOpenAfterMs` is left out too
 * ({@link CIRCUIT_BREAKER_DEFAULTS}).
 */
export type LlmCircuitBreakerOptions = (
  | Partial<ConsecutiveBreakerOptions>
  | (Partial<HalfOpenOptions> & Omit<SamplingBreakerOptions, keyof HalfOpenOptions>)
) &
  ReportingOptions;

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
 * stage when it will let a trial call through.
 */
export class LlmCircuitBreakerPolicy extends PipelineStage {
  /** The cockatiel policy inside: `isolate()`, `toJSON()`, `onStateChange` and so on. */
  readonly policy: CircuitBreakerPolicy;
  /** When the open breaker lets a trial call through, on the `Date.now()` scale. */
  halfOpenAt = 0;
  private opening: { reason: ErrorClassification; openMs: number } | undefined;

  constructor(options: LlmCircuitBreakerOptions = {}) {
    super(checkReporting('circuitBreaker', options));
    const o = checkBreakerOptions(withDefaults(withoutReporting(options)));
    const breaker =
      'failureRatio' in o
        ? new SamplingBreaker({
            threshold: o.failureRatio,
            duration: o.samplingMs,
            minimumRps: (o.minimumCalls * 1000) / o.samplingMs,
          })
        : new ConsecutiveBreaker(o.consecutiveFailures);
    const first = o.halfOpenAfterMs;
    const longest = o.maxHalfOpenAfterMs ?? first;
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
      const opening = 'isolated' in cause ? undefined : this.opening;
      // Read the clock after cockatiel stamped the opening, so a wait until then is never short.
      if (opening !== undefined) this.halfOpenAt = Date.now() + opening.openMs;
      reporter.report('break', () =>
        opening === undefined ? {} : { reason: opening.reason, openMs: opening.openMs },
      );
    });
    this.policy.onHalfOpen(() => reporter.report('halfOpen', () => ({})));
    this.policy.onReset(() => reporter.report('reset', () => ({})));
  }

  /** The breaker's state. */
  get state(): CircuitStateName {
    return STATE_NAMES[this.policy.state];
  }

  protected run<T>(fn: StageFn<T>, call: CallRecord): Promise<T> {
    const closed = this.policy.state === CircuitState.Closed;
    const result = this.policy.execute(fn, call.signal);
    if (closed) return result;
    // Refused while open (or after the half-open trial failed): the retry waits for the next trial.
    return result.catch((error: unknown) => {
      if (error instanceof BrokenCircuitError && this.state === 'open') {
        call.holdNext('breaker', this.halfOpenAt);
      }
      throw error;
    });
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
