import {
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  type IBackoff,
  type IDefaultPolicyContext,
  type IHalfOpenAfterBackoffContext,
  SamplingBreaker,
} from 'cockatiel';
import { classifyError } from './errors/classifyError.js';
import type { ErrorClassification } from './errors/ErrorClassification.js';
import { breakerOpenAIErrors } from './errors/filters.js';
import type { CircuitBreakerOptions } from './options.js';
import { PipelineStage } from './pipelineStage.js';
import type { PolicyScope } from './policyScope.js';

/** A circuit breaker's state, as `LlmPolicy.circuitState` reports it. */
export type CircuitStateName = 'closed' | 'open' | 'halfOpen' | 'isolated';

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'halfOpen',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * The circuit-breaker stage: cockatiel's CircuitBreakerPolicy counting only failures whose
 * classification has `breakerFailure` (5xx, overload, timeouts, connection failures; never 400s,
 * 429s or aborts), with a `ConsecutiveBreaker` or a `SamplingBreaker`. It stays open
 * `halfOpenAfterMs` the first time, twice as long on each consecutive opening up to
 * `maxHalfOpenAfterMs`, and at least as long as the server's wait hint of the failure that
 * opened it. It emits `break`, `halfOpen` and `reset`, and tells the retry stage when it will let
 * a trial call through (`halfOpenAt`).
 */
export class BreakerStage extends PipelineStage {
  /** The cockatiel policy inside: `isolate()`, `toJSON()`, `onStateChange` and so on. */
  readonly policy: CircuitBreakerPolicy;
  /** When the open breaker lets a trial call through, on the `Date.now()` scale. */
  halfOpenAt = 0;
  private opening: { reason: ErrorClassification; openMs: number } | undefined;

  constructor(options: CircuitBreakerOptions, scope: PolicyScope) {
    super();
    const breaker =
      'failureRatio' in options
        ? new SamplingBreaker({
            threshold: options.failureRatio,
            duration: options.samplingMs,
            minimumRps: (options.minimumCalls * 1000) / options.samplingMs,
          })
        : new ConsecutiveBreaker(options.consecutiveFailures);
    const first = options.halfOpenAfterMs;
    const longest = options.maxHalfOpenAfterMs ?? first;
    const openFor = (
      context: IHalfOpenAfterBackoffContext,
    ): IBackoff<IHalfOpenAfterBackoffContext> => {
      const { result } = context;
      // Only errors open it: the policy has no result filter.
      const reason = classifyError('error' in result ? result.error : result.value);
      const grown = Math.min(first * 2 ** (context.attempt - 1), longest);
      const openMs = Math.max(grown, reason.retryAfterMs ?? 0);
      this.opening = { reason, openMs };
      return { duration: openMs, next: openFor };
    };
    this.policy = circuitBreaker(breakerOpenAIErrors, {
      halfOpenAfter: { next: openFor },
      breaker,
    });
    const { events, name } = scope;
    this.policy.onBreak((cause) => {
      const opening = 'isolated' in cause ? undefined : this.opening;
      // Read the clock after cockatiel stamped the opening, so a wait until then is never short.
      if (opening !== undefined) this.halfOpenAt = Date.now() + opening.openMs;
      if (events.listenerCount('break') === 0) return;
      events.emit(
        'break',
        opening === undefined
          ? { policy: name }
          : { policy: name, reason: opening.reason, openMs: opening.openMs },
      );
    });
    this.policy.onHalfOpen(() => {
      if (events.listenerCount('halfOpen') > 0) events.emit('halfOpen', { policy: name });
    });
    this.policy.onReset(() => {
      if (events.listenerCount('reset') > 0) events.emit('reset', { policy: name });
    });
  }

  /** The breaker's state. */
  get state(): CircuitStateName {
    return STATE_NAMES[this.policy.state];
  }

  execute<T>(
    fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.policy.execute(fn, signal);
  }
}
