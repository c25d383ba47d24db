import type { CircuitBreakerPolicy, IDefaultPolicyContext, IPolicy } from 'cockatiel';
import { TimeoutError } from '../errors/TimeoutError.js';
import type { PolicyEvents } from '../events.js';
import { buildPipeline } from '../pipeline/buildPipeline.js';
import { CallOwner } from '../pipeline/CallOwner.js';
import type { CallRecord, LlmCallContext } from '../pipeline/callRecord.js';
import type { CallWatcher } from '../pipeline/callWatchers.js';
import { type ExecuteOptions, executeArgs } from '../pipeline/executeArgs.js';
import { attemptContext } from '../pipeline/LlmPolicy.js';
import type { CircuitStateName, LlmCircuitBreakerPolicy } from '../pipeline/llmCircuitBreaker.js';
import { validatePolicyOptions } from '../pipeline/options.js';
import type { RateLimitGatePolicy } from '../pipeline/rateLimitGate.js';
import { Reporter } from '../pipeline/reporter.js';
import { type FetchFunction, gateFetch } from '../rateLimit/gateFetch.js';
import { type GuardedStream, guardStream, type StreamEndReport } from './guardStream.js';
import { raceSignal } from './raceSignal.js';
import {
  type ChunkTestOptions,
  resolveStreamPolicyOptions,
  type StreamPolicyOptions,
} from './streamPolicyOptions.js';

/** The function a stream policy runs: it starts the request and returns its stream. */
export type StreamFn<T> = (
  context: LlmCallContext,
) => AsyncIterable<T> | PromiseLike<AsyncIterable<T>>;

/** What one `execute` call shares between its attempts. */
interface StreamCall {
  readonly startedAt: number;
  readonly callerSignal: AbortSignal | undefined;
  /**
   * Settles the call's `holdUntil` (with `{ error }` when the stream failed): the bulkhead slot
   * and the total timeout are let go.
   */
  readonly end: (failure?: { error: unknown }) => void;
  stream: GuardedStream<unknown> | undefined;
}

/**
 * A resilience pipeline for streamed LLM calls (build one with `createStreamPolicy` from
 * `policies/stream.ts`, or `new LlmStreamPolicy(options)` for one without preset defaults).
 * Everything up to the stream's first token is one attempt under the whole pipeline (bulkhead,
 * total timeout, retry, rate-limit gate, circuit breaker) with a first-token timeout in place of
 * the attempt timeout, so a stream that fails or stalls before its first token is retried like
 * any call. From the first token on the call is committed and never retried: `execute` resolves
 * with a {@link GuardedStream} that yields every chunk, enforces `idleMs`, and fails with a
 * `StreamInterruptedError` instead of ending silently. The bulkhead slot and the total timeout
 * last until the stream ends, fails or is released. Emits the pipeline's events plus
 * `firstToken`, `streamEnd` and `timeout` with scope `firstToken` or `idle`.
 */
export class LlmStreamPolicy {
  /** Carried in every event as `policy`. */
  readonly name: string;
  /** The policy's typed event emitter (shared with its stages). */
  readonly events: PolicyEvents;
  /**
   * A `fetch` to give the SDK's client, as `LlmPolicy.fetch`: it reads each reply's rate-limit
   * headers into the policy's gate without touching the stream. Forwards to `globalThis.fetch`
   * when the policy has no gate.
   */
  readonly fetch: FetchFunction;
  private readonly reporter: Reporter;
  private readonly gate: RateLimitGatePolicy | undefined;
  private readonly pipeline: IPolicy<IDefaultPolicyContext>;
  private readonly breaker: LlmCircuitBreakerPolicy | undefined;
  private readonly owner: CallOwner;
  private readonly idleMs: number | undefined;
  private readonly chunkTests: ChunkTestOptions;

  /** Validates `options` (a TypeError names a bad option and its value) and builds the pipeline. */
  constructor(options: StreamPolicyOptions = {}) {
    const { pipeline, firstTokenMs, idleMs, ...chunkTests } = resolveStreamPolicyOptions(options);
    validatePolicyOptions(pipeline);
    this.reporter = new Reporter({ name: pipeline.name ?? 'stream' });
    const { policy, breaker, gate } = buildPipeline(
      pipeline,
      this.reporter,
      firstTokenMs === undefined ? undefined : { firstTokenMs },
    );
    this.name = this.reporter.name;
    this.events = this.reporter.events;
    this.pipeline = policy;
    this.breaker = breaker;
    this.gate = gate;
    this.fetch = gate?.fetch ?? gateFetch(undefined);
    this.owner = new CallOwner(this.reporter);
    this.idleMs = idleMs;
    this.chunkTests = chunkTests;
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
   * Watches every call from now on, from its start to the end of its stream ({@link CallWatcher}); returns a
   * function that stops watching. `llm-resilience/otel`'s `instrument` uses it for its spans.
   */
  watchCalls(watcher: CallWatcher): () => void {
    return this.owner.watch(watcher);
  }

  /** The cockatiel circuit breaker inside (`isolate()`, `toJSON()`, ...), if the policy has one. */
  get circuitBreaker(): CircuitBreakerPolicy | undefined {
    return this.breaker?.policy;
  }

  /**
   * Runs `fn` (which starts a streamed request, passing `signal` on to the SDK, and returns its
   * stream) through the pipeline and resolves once the stream's first token has arrived, with
   * a {@link GuardedStream} of every chunk. The second argument is the caller's AbortSignal or
   * `{ signal, tokens }`; aborting it fails the call, or the stream once it has begun. Throws a
   * TypeError at once when `fn` is not a function or the options are malformed.
   */
  execute<T>(
    fn: StreamFn<T>,
    signalOrOptions?: AbortSignal | ExecuteOptions,
  ): Promise<GuardedStream<T>> {
    const { signal, tokens, maxWaitMs } = executeArgs(fn, signalOrOptions);
    let end: StreamCall['end'] = () => {};
    const ended = new Promise<{ error: unknown } | undefined>((resolve) => {
      end = resolve;
    });
    const stream: StreamCall = {
      startedAt: Date.now(),
      callerSignal: signal,
      end,
      stream: undefined,
    };
    const result = this.owner.run(
      (call) => {
        // The call keeps its bulkhead slot and total timeout until the stream has ended.
        call.holdUntil = ended;
        return this.pipeline.execute(
          (context) => this.attempt(fn, attemptContext(context, call), call, stream),
          call.signal,
        );
      },
      signal,
      tokens,
      maxWaitMs,
    );
    // A stream committed just as the caller aborted belongs to nobody: close it.
    result.catch(() => stream.stream?.release());
    return result;
  }

  /**
   * One attempt: the request and its stream up to the first token (the attempt timeout stage
   * bounds it with `firstTokenMs`).
   */
  private async attempt<T>(
    fn: StreamFn<T>,
    context: LlmCallContext,
    call: CallRecord,
    stream: StreamCall,
  ): Promise<GuardedStream<T>> {
    const { attempt } = context;
    const controller = new AbortController();
    // The attempt's signal (the first-token timeout), the call's (the caller's abort before the
    // first token, the total timeout) and the caller's own (which the call's owner stops
    // forwarding once the call has succeeded).
    const sources = [context.signal, call.signal, stream.callerSignal].filter(
      (s) => s !== undefined,
    );
    const forward = (event: Event): void => {
      controller.abort((event.target as AbortSignal).reason);
    };
    const unlink = (): void => {
      for (const signal of sources) signal.removeEventListener('abort', forward);
    };
    // Removed once the attempt fails, or once its stream ends (an abort ends it).
    for (const signal of sources) signal.addEventListener('abort', forward);
    const aborted = sources.find((signal) => signal.aborted);
    if (aborted !== undefined) controller.abort(aborted.reason);
    let committed = false;
    let streamEnded = false;
    try {
      const source = await raceSignal(
        () => fn({ signal: controller.signal, attempt }),
        controller.signal,
      );
      const guarded = await guardStream(source, {
        ...(this.chunkTests as ChunkTestOptions<T>),
        controller,
        idleMs: this.idleMs,
        onEnd: (report: StreamEndReport) => {
          streamEnded = true;
          unlink();
          stream.end(report.outcome === 'failed' ? { error: report.error } : undefined);
          this.streamEnded(report, call, stream, attempt);
        },
      });
      committed = true;
      stream.stream = guarded;
      // A stream that ended without any chunk had no first token.
      if (!streamEnded) {
        this.reporter.report('firstToken', () => ({
          attempt,
          latencyMs: Date.now() - stream.startedAt,
        }));
      }
      return guarded;
    } finally {
      if (!committed) unlink();
    }
  }

  private streamEnded(
    report: StreamEndReport,
    call: CallRecord,
    stream: StreamCall,
    attempt: number,
  ): void {
    const { error, usage } = report;
    if (usage !== undefined) this.gate?.gate.onUsage(usage, call.tokens);
    if (error instanceof TimeoutError && error.scope === 'idle') {
      const { timeoutMs } = error;
      this.reporter.report('timeout', () => ({ scope: 'idle', timeoutMs, attempt }));
    }
    this.reporter.report('streamEnd', () => ({
      chunks: report.chunks,
      durationMs: Date.now() - stream.startedAt,
      outcome: report.outcome,
      ...(report.outcome === 'failed' ? { reason: call.reasonOf(error) } : {}),
    }));
  }
}
