import type { CircuitBreakerPolicy, IDefaultPolicyContext, IPolicy } from 'cockatiel';
import type { PolicyEvents } from '../events.js';
import { type FetchFunction, gateFetch } from '../rateLimit/gateFetch.js';
import { refuseStreams } from '../stream/refuseStreams.js';
import { limitOf } from '../validate.js';
import { buildPipeline } from './buildPipeline.js';
import { CallOwner } from './CallOwner.js';
import { type CallRecord, callRecordOf, type LlmCallContext } from './callRecord.js';
import type { CallWatcher } from './callWatchers.js';
import { type ExecuteOptions, executeArgs } from './executeArgs.js';
import type { CircuitStateName, LlmCircuitBreakerPolicy } from './llmCircuitBreaker.js';
import { type PolicyOptions, validatePolicyOptions } from './options.js';
import { Reporter } from './reporter.js';

/**
 * The function a policy runs for each attempt: it makes the call, passing `context.signal` on
 * to the SDK, and returns its result (or a promise of it).
 */
export type PolicyFn<T> = (context: LlmCallContext) => PromiseLike<T> | T;

/**
 * What `fn` receives for the attempt under way: the innermost stage's signal and the attempt's
 * number (1 when no stage numbers attempts).
 */
export function attemptContext(context: IDefaultPolicyContext, call: CallRecord): LlmCallContext {
  // A retry or hedging stage has numbered the attempt, and wrap() merged it into the context.
  if ((context as Partial<LlmCallContext>).attempt !== undefined) return context as LlmCallContext;
  const attempt = callRecordOf(context.signal) ?? call;
  if (attempt.attempt === 0) attempt.attempt = 1;
  return { signal: context.signal, attempt: attempt.attempt };
}

/**
 * A resilience pipeline for LLM calls: a cockatiel policy (it composes inside cockatiel's
 * `wrap()`) made of the stages its options name, built with the public stage factories and
 * joined with cockatiel's `wrap()`, outermost first: bulkhead, total timeout, retry, hedging,
 * rate-limit gate, circuit breaker, attempt timeout. Build one with {@link createPolicy}; share
 * it between calls, since its breaker, bulkhead and gate are shared state by design.
 */
export class LlmPolicy implements IPolicy<LlmCallContext> {
  declare readonly _altReturn: never;
  /** Carried in every event as `policy`. */
  readonly name: string;
  /** The policy's typed event emitter: `policy.events.on('retry', (e) => ...)`. */
  readonly events: PolicyEvents;
  /** The cockatiel circuit breaker inside (`isolate()`, `toJSON()`, ...), if the policy has one. */
  readonly circuitBreaker: CircuitBreakerPolicy | undefined;
  /** cockatiel's success event: fires once per call that succeeds, retries included. */
  readonly onSuccess: CallOwner['onSuccess'];
  /** cockatiel's failure event: fires once per call that fails for good. */
  readonly onFailure: CallOwner['onFailure'];
  /**
   * A `fetch` to give the SDK's client (`new OpenAI({ fetch: policy.fetch, maxRetries: 0 })`): it
   * sends every request unchanged and reads each reply's rate-limit headers (OpenAI, Azure, Groq,
   * Anthropic) into the policy's gate, which then holds callers before the server's budget runs
   * out instead of after a 429. Never reads a response body. A policy without a gate
   * (`rateLimit: false`) forwards to `globalThis.fetch` and reads nothing.
   */
  readonly fetch: FetchFunction;
  private readonly pipeline: IPolicy<IDefaultPolicyContext>;
  private readonly breaker: LlmCircuitBreakerPolicy | undefined;
  private readonly owner: CallOwner;

  /** Validates `options` (a TypeError names a bad option and its value) and builds the stages. */
  constructor(options: PolicyOptions = {}) {
    validatePolicyOptions(options);
    const reporter = new Reporter({ name: options.name ?? 'policy' });
    const attemptMs = options.timeout ? limitOf(options.timeout.attemptMs) : undefined;
    const { policy, breaker, gate } = buildPipeline(
      options,
      reporter,
      attemptMs === undefined ? undefined : { attemptMs },
    );
    this.name = reporter.name;
    this.events = reporter.events;
    this.pipeline = policy;
    this.breaker = breaker;
    this.circuitBreaker = breaker?.policy;
    this.fetch = gate?.fetch ?? gateFetch(undefined);
    this.owner = new CallOwner(reporter);
    this.onSuccess = this.owner.onSuccess;
    this.onFailure = this.owner.onFailure;
  }

  /**
   * Watches every call from now on, from its start to its end ({@link CallWatcher}); returns a
   * function that stops watching. `llm-resilience/otel`'s `instrument` uses it for its spans.
   */
  watchCalls(watcher: CallWatcher): () => void {
    return this.owner.watch(watcher);
  }

  /** The circuit breaker's state; `'closed'` when the policy has no breaker. */
  get circuitState(): CircuitStateName {
    return this.breaker?.state ?? 'closed';
  }

  /** When the open circuit breaker lets its next trial call through (`Date.now()` scale); 0 without one. */
  get circuitHalfOpenAt(): number {
    return this.breaker?.halfOpenAt ?? 0;
  }

  /**
   * Runs `fn` through the pipeline. `fn` receives `{ signal, attempt }`: pass `signal` on to the
   * SDK call so timeouts and aborts really stop the request; `attempt` counts from 1.
   * The second argument is the caller's AbortSignal or `{ signal, tokens }`. When the signal
   * aborts, the call rejects at once with the signal's reason and nothing more is attempted.
   * Throws a TypeError at once when `fn` is not a function or the options are malformed.
   */
  execute<T>(fn: PolicyFn<T>, signalOrOptions?: AbortSignal | ExecuteOptions): Promise<T> {
    const { signal, tokens, maxWaitMs } = executeArgs(fn, signalOrOptions);
    const guarded = refuseStreams(fn);
    return this.owner.run(
      (call) =>
        this.pipeline.execute((context) => guarded(attemptContext(context, call)), call.signal),
      signal,
      tokens,
      maxWaitMs,
    );
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
