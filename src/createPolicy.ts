import {
  type CircuitBreakerPolicy,
  EventEmitter,
  type IDefaultPolicyContext,
  type IFailureEvent,
  type IPolicy,
  type ISuccessEvent,
  noop,
  wrap,
} from 'cockatiel';
import { BreakerStage, type CircuitStateName } from './breakerStage.js';
import { BulkheadStage } from './bulkheadStage.js';
import { CallState, callStateOf, HOLD_UNTIL, type LlmCallContext } from './callState.js';
import { describeValue } from './describeValue.js';
import { classifyError } from './errors/classifyError.js';
import { PolicyEvents } from './events.js';
import { HedgeStage } from './hedgeStage.js';
import { isFiniteNumber } from './isFiniteNumber.js';
import { type PolicyOptions, validatePolicyOptions } from './options.js';
import { RateLimitGate } from './rateLimitGate.js';
import { RateLimitStage } from './rateLimitStage.js';
import { RetryStage } from './retryStage.js';
import { isAbortSignal } from './signals.js';
import { refuseStreams } from './stream/refuseStreams.js';
import { TimeoutStage } from './timeoutStage.js';

/** The second argument of `execute` in its object form. */
export interface ExecuteOptions {
  /** Aborts the call: the running attempt, a backoff sleep or a wait in a queue. */
  signal?: AbortSignal;
  /** The call's token cost, for the rate-limit gate's `tokensPerMinute` budget. */
  tokens?: number;
}

/**
 * The function a policy runs for each attempt: it makes the call, passing `context.signal` on
 * to the SDK, and returns its result (or a promise of it).
 */
export type PolicyFn<T> = (context: LlmCallContext) => PromiseLike<T> | T;
/** `fn` as the stages call it: wrap() hands it the merged context of the stages. */
type PipelineFn<T> = (context: IDefaultPolicyContext) => PromiseLike<T> | T;

/** The stream policy's form of the options: with what the call holds on to after it succeeded. */
type HeldOptions = ExecuteOptions & { [HOLD_UNTIL]?: PromiseLike<unknown> };

/** A timeout's duration, or `undefined` when it sets no limit (left out, or Infinity). */
function limitOf(ms: number | undefined): number | undefined {
  return ms === Number.POSITIVE_INFINITY ? undefined : ms;
}

function parseExecuteOptions(options: unknown): ExecuteOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `execute: the second argument must be an AbortSignal or { signal?, tokens? }, got ${describeValue(options)}`,
    );
  }
  const { signal, tokens, ...rest } = options as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new TypeError(
      `execute: ${unknown} is not an execute option (known: signal, tokens), got ${describeValue(rest[unknown])}`,
    );
  }
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new TypeError(`execute: signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
  if (tokens !== undefined && !(isFiniteNumber(tokens) && tokens >= 0)) {
    throw new TypeError(
      `execute: tokens must be a finite number >= 0, got ${describeValue(tokens)}`,
    );
  }
  return options as ExecuteOptions;
}

/**
 * A resilience pipeline for LLM calls: a cockatiel-compatible policy (it composes inside
 * cockatiel's `wrap()`) made of the stages its options name, outermost first: bulkhead, total
 * timeout, retry, hedging, rate-limit gate, circuit breaker, attempt timeout. Build one with
 * {@link createPolicy}; share it between calls, since its breaker, bulkhead and gate are shared
 * state by design.
 */
export class LlmPolicy implements IPolicy<LlmCallContext> {
  declare readonly _altReturn: never;
  /** Carried in every event as `policy`. */
  readonly name: string;
  /** The policy's typed event emitter: `policy.events.on('retry', (e) => ...)`. */
  readonly events = new PolicyEvents();
  /** The cockatiel circuit breaker inside (`isolate()`, `toJSON()`, ...), if the policy has one. */
  readonly circuitBreaker: CircuitBreakerPolicy | undefined;
  private readonly successEmitter = new EventEmitter<ISuccessEvent>();
  private readonly failureEmitter = new EventEmitter<IFailureEvent>();
  /** cockatiel's success event: fires once per call that succeeds, retries included. */
  readonly onSuccess = this.successEmitter.addListener;
  /** cockatiel's failure event: fires once per call that fails for good. */
  readonly onFailure = this.failureEmitter.addListener;
  private readonly pipeline: IPolicy<IDefaultPolicyContext>;
  private readonly breaker: BreakerStage | undefined;
  /** Whether a stage numbers the attempts (retry, hedging); otherwise every call has one. */
  private readonly counts: boolean;
  /** Whether the call can abort without a caller signal: it has a total timeout. */
  private readonly abortable: boolean;
  /** Whether the attempt-timeout stage gives each attempt a real signal of its own. */
  private readonly attemptSignals: boolean;

  /** Validates `options` (a TypeError names a bad option and its value) and builds the stages. */
  constructor(options: PolicyOptions = {}) {
    const { retry, timeout, circuitBreaker, bulkhead, hedge, rateLimit } =
      validatePolicyOptions(options);
    this.name = options.name ?? 'policy';
    const stages: IPolicy<IDefaultPolicyContext>[] = [];
    const breaker = circuitBreaker ? new BreakerStage(circuitBreaker, this) : undefined;
    const gate = rateLimit
      ? new RateLimitGate(rateLimit, (event) => {
          const { events, name } = this;
          if (events.listenerCount(event.type) === 0) return;
          if (event.type === 'rateLimited') {
            events.emit('rateLimited', {
              policy: name,
              waitMs: event.waitMs,
              reason: event.reason,
            });
          } else {
            events.emit('paced', { policy: name, ratePerSec: event.ratePerSec });
          }
        })
      : undefined;
    if (bulkhead) stages.push(new BulkheadStage(bulkhead, this));
    const totalMs = timeout ? limitOf(timeout.totalMs) : undefined;
    const attemptMs = timeout ? limitOf(timeout.attemptMs) : undefined;
    if (totalMs !== undefined) stages.push(new TimeoutStage('total', totalMs, this));
    if (retry) {
      stages.push(
        new RetryStage(retry, this, breaker, gate !== undefined) as IPolicy<IDefaultPolicyContext>,
      );
    }
    if (hedge) stages.push(new HedgeStage(hedge, this) as IPolicy<IDefaultPolicyContext>);
    if (gate) stages.push(new RateLimitStage(gate));
    if (breaker) stages.push(breaker);
    if (attemptMs !== undefined) stages.push(new TimeoutStage('attempt', attemptMs, this));
    this.pipeline = stages.length === 0 ? noop : wrap(...stages);
    this.breaker = breaker;
    this.circuitBreaker = breaker?.policy;
    this.counts = Boolean(retry) || Boolean(hedge);
    this.abortable = totalMs !== undefined;
    this.attemptSignals = attemptMs !== undefined;
  }

  /** The circuit breaker's state; `'closed'` when the policy has no breaker. */
  get circuitState(): CircuitStateName {
    return this.breaker?.state ?? 'closed';
  }

  /**
   * Runs `fn` through the pipeline. `fn` receives `{ signal, attempt }`: pass `signal` on to the
   * SDK call so timeouts and aborts really stop the request; `attempt` counts from 1.
   * The second argument is the caller's AbortSignal or `{ signal, tokens }`. When the signal
   * aborts, the call rejects at once with the signal's reason and nothing more is attempted.
   * Throws a TypeError at once when `fn` is not a function or the options are malformed.
   */
  execute<T>(fn: PolicyFn<T>, signalOrOptions?: AbortSignal | ExecuteOptions): Promise<T> {
    if (typeof fn !== 'function') {
      throw new TypeError(`execute: fn must be a function, got ${describeValue(fn)}`);
    }
    let signal: AbortSignal | undefined;
    let options: ExecuteOptions | undefined;
    if (signalOrOptions !== undefined) {
      if (isAbortSignal(signalOrOptions)) signal = signalOrOptions;
      else ({ signal } = options = parseExecuteOptions(signalOrOptions));
    }
    const startedAt = Date.now();
    const call = new CallState(options?.tokens);
    if (options !== undefined) call.holdUntil = (options as HeldOptions)[HOLD_UNTIL];
    if (signal?.aborted) {
      call.abort(signal.reason);
      this.failed(call, startedAt, signal.reason);
      return Promise.reject(signal.reason);
    }
    const run = this.adapt(refuseStreams(fn), call);
    if (signal === undefined && !this.abortable) {
      return this.pipeline.execute(run, call.signal).then(
        (value) => {
          this.succeeded(call, startedAt);
          return value;
        },
        (error: unknown) => {
          this.failed(call, startedAt, error);
          throw error;
        },
      );
    }
    // The call can abort (the caller's signal, the total timeout): `execute` then rejects at
    // once, while the stages stop their work and settle in the background.
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const onCallerAbort = (): void => call.abort(signal?.reason);
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        signal?.removeEventListener('abort', onCallerAbort);
        call.removeEventListener('abort', onCallAbort);
        return true;
      };
      const onCallAbort = (): void => {
        if (!finish()) return;
        this.failed(call, startedAt, call.reason);
        reject(call.reason);
      };
      call.addEventListener('abort', onCallAbort);
      signal?.addEventListener('abort', onCallerAbort, { once: true });
      this.pipeline.execute(run, call.signal).then(
        (value) => {
          if (!finish()) return;
          this.succeeded(call, startedAt);
          resolve(value);
        },
        (error: unknown) => {
          if (!finish()) return;
          this.failed(call, startedAt, error);
          reject(error);
        },
      );
    });
  }

  /**
   * `fn` as the pipeline calls it. With a stage that numbers attempts (retry, hedging) and an
   * attempt timeout, the context wrap() merges already holds a real signal and the attempt.
   * Otherwise `fn` gets the attempt timeout's signal and attempt 1, or a real signal of the call
   * the innermost stage passed on (the attempt's own under hedging) and the attempt it counts.
   */
  private adapt<T>(fn: PolicyFn<T>, call: CallState): PipelineFn<T> {
    if (this.counts && this.attemptSignals) return fn as PipelineFn<T>;
    return (context) => {
      if (this.attemptSignals) {
        call.attempt = 1;
        return fn({ signal: context.signal, attempt: 1 });
      }
      const state = callStateOf(context.signal);
      if (!this.counts) state.attempt = 1;
      return fn({ signal: state.realSignal(), attempt: state.attempt });
    };
  }

  private succeeded(call: CallState, startedAt: number): void {
    const listening = this.events.listenerCount('success') > 0;
    if (!listening && this.successEmitter.size === 0) return;
    const durationMs = Date.now() - startedAt;
    if (listening) {
      this.events.emit('success', { policy: this.name, attempts: call.attempt, durationMs });
    }
    this.successEmitter.emit({ duration: durationMs });
  }

  private failed(call: CallState, startedAt: number, error: unknown): void {
    const listening = this.events.listenerCount('failure') > 0;
    if (!listening && this.failureEmitter.size === 0) return;
    const durationMs = Date.now() - startedAt;
    // With the call's signal, an abort with any reason of the caller's classifies as `aborted`.
    const reason = classifyError(error, { signal: call.signal });
    if (listening) {
      this.events.emit('failure', {
        policy: this.name,
        attempts: call.attempt,
        durationMs,
        reason,
      });
    }
    this.failureEmitter.emit({
      duration: durationMs,
      handled: reason.retryable,
      reason: { error },
    });
  }
}

/**
 * Builds an {@link LlmPolicy} from `options` (the same as `new LlmPolicy(options)`): only the
 * stages named are in the pipeline, each validated now (a TypeError names a bad option and the
 * value given).
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { createPolicy } from 'llm-resilience';
 *
 * const client = new OpenAI({ maxRetries: 0 }); // the policy owns retries
 * const policy = createPolicy({
 *   name: 'summaries',
 *   retry: { maxRetries: 3, initialDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 30_000 },
 *   timeout: { attemptMs: 30_000, totalMs: 120_000 },
 *   circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 1_000 },
 *   bulkhead: { maxConcurrent: 10, maxQueued: 100 },
 *   rateLimit: {},
 * });
 *
 * const completion = await policy.execute(({ signal }) =>
 *   client.chat.completions.create(
 *     { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] },
 *     { signal },
 *   ),
 * );
 * ```
 */
export function createPolicy(options: PolicyOptions = {}): LlmPolicy {
  return new LlmPolicy(options);
}
