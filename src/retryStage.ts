import {
  BrokenCircuitError,
  decorrelatedJitterGenerator,
  type IExponentialBackoffOptions,
} from 'cockatiel';
import type { BreakerStage } from './breakerStage.js';
import { callStateOf, type LlmCallContext } from './callState.js';
import { classifyError } from './errors/classifyError.js';
import type { ErrorClassification } from './errors/ErrorClassification.js';
import type { GiveUpWhy } from './events.js';
import type { RetryOptions } from './options.js';
import { PipelineStage } from './pipelineStage.js';
import type { PolicyScope } from './policyScope.js';
import { neverAbortedSignal, sleep } from './signals.js';

/** The state of cockatiel's decorrelated-jitter generator between two delays of one call. */
type JitterState = [number, number];

/**
 * The retry stage: retries a failed attempt (or hedge round) up to `maxRetries` times, written as
 * a cockatiel-compatible policy because cockatiel's retry sleeps through an abort and then starts
 * another attempt. Here an abort (the caller's, or the total timeout) ends a backoff sleep at once
 * and no attempt follows.
 *
 * What it retries: the classification's `retryable` (or `shouldRetry`). How long it waits:
 * decorrelated jitter (cockatiel's `ExponentialBackoff` generator, Polly's V2 formula) scaled by
 * `initialDelayMs` and capped at `maxDelayMs`, but never less than the server's hint
 * (`retryAfterMs`); a hint above `maxRetryAfterMs` fails the call at once. An attempt that timed
 * out is retried without the part of the backoff it already spent waiting. After a 429 with the
 * rate-limit gate on, it does not sleep: the gate holds the retry with every other caller.
 * An attempt the open circuit breaker refused is retried when the breaker half-opens (a retry
 * too). A retry whose wait would end after the call's total deadline is not started. Emits
 * `retry` and `giveUp`.
 */
export class RetryStage extends PipelineStage<LlmCallContext> {
  private readonly jitter: IExponentialBackoffOptions<JitterState>;

  constructor(
    private readonly options: RetryOptions,
    private readonly scope: PolicyScope,
    private readonly breaker: BreakerStage | undefined,
    private readonly gateHoldsRateLimits: boolean,
  ) {
    super();
    this.jitter = {
      generator: decorrelatedJitterGenerator,
      exponent: 2,
      initialDelay: options.initialDelayMs,
      maxDelay: options.maxDelayMs,
    };
  }

  async execute<T>(
    fn: (context: LlmCallContext) => PromiseLike<T> | T,
    signal: AbortSignal = neverAbortedSignal,
  ): Promise<T> {
    const call = callStateOf(signal);
    let jitter: JitterState | undefined;
    for (let round = 1; ; round++) {
      // One attempt a round, or several with the hedging stage inside: `call.attempt` numbers them.
      const first = ++call.attempt;
      const startedAt = Date.now();
      try {
        return await fn({ signal, attempt: first });
      } catch (error) {
        const attempt = call.attempt;
        if (signal.aborted) throw error;
        const now = Date.now();
        const reason = classifyError(error);
        const { maxRetries, maxRetryAfterMs, shouldRetry } = this.options;
        const hint = reason.retryAfterMs;
        let why: GiveUpWhy | undefined;
        let delayMs = 0;
        // How long before the next attempt can go: the sleep, or the gate's hold after a 429.
        let waitMs = 0;
        const openBreaker = this.openBreakerOf(error);
        if (openBreaker !== undefined) {
          waitMs = delayMs = Math.max(0, openBreaker.halfOpenAt - now);
          if (round > maxRetries) why = 'max_retries';
        } else if (!(shouldRetry === undefined ? reason.retryable : shouldRetry(reason, error))) {
          why = 'not_retryable';
        } else if (round > maxRetries) {
          why = 'max_retries';
        } else if (hint !== undefined && hint > maxRetryAfterMs) {
          why = 'retry_after_too_long';
        } else if (this.gateHoldsRateLimits && reason.kind === 'rate_limit') {
          waitMs = hint ?? 0;
        } else {
          const [backoff, next] = decorrelatedJitterGenerator(jitter, this.jitter);
          jitter = next;
          const spent = reason.kind === 'timeout' ? now - startedAt : 0;
          waitMs = delayMs = Math.round(Math.max(backoff - spent, hint ?? 0, 0));
        }
        if (why === undefined && call.deadline !== undefined && now + waitMs > call.deadline) {
          why = 'deadline';
        }
        if (why !== undefined) {
          this.giveUp(attempt, reason, why);
          throw error;
        }
        this.retry(attempt, delayMs, reason);
        // The sleep ends at an abort; with no sleep, a `retry` listener may have aborted the call.
        if (delayMs > 0) await sleep(delayMs, signal);
        else if (signal.aborted) throw signal.reason;
      }
    }
  }

  /** This policy's breaker, when `error` is that breaker refusing the call while open. */
  private openBreakerOf(error: unknown): BreakerStage | undefined {
    return error instanceof BrokenCircuitError && this.breaker?.state === 'open'
      ? this.breaker
      : undefined;
  }

  private retry(attempt: number, delayMs: number, reason: ErrorClassification): void {
    const { events, name } = this.scope;
    if (events.listenerCount('retry') > 0) {
      events.emit('retry', { policy: name, attempt, delayMs, reason });
    }
  }

  private giveUp(attempts: number, reason: ErrorClassification, why: GiveUpWhy): void {
    const { events, name } = this.scope;
    if (events.listenerCount('giveUp') > 0) {
      events.emit('giveUp', { policy: name, attempts, reason, why });
    }
  }
}
