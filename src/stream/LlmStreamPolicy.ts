import type { CircuitBreakerPolicy } from 'cockatiel';
import type { CircuitStateName } from '../breakerStage.js';
import { HOLD_UNTIL, type LlmCallContext } from '../callState.js';
import { createPolicy, type ExecuteOptions, type LlmPolicy } from '../createPolicy.js';
import { describeValue } from '../describeValue.js';
import { classifyError } from '../errors/classifyError.js';
import { TimeoutError } from '../errors/TimeoutError.js';
import type { PolicyEvents } from '../events.js';
import { isAbortSignal } from '../signals.js';
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
  /** Settles the promise the pipeline holds the bulkhead slot and total timeout for. */
  readonly end: () => void;
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
  /** The policy's typed event emitter (shared with its pipeline). */
  readonly events: PolicyEvents;
  private readonly pipeline: LlmPolicy;
  private readonly firstTokenMs: number | undefined;
  private readonly idleMs: number | undefined;
  private readonly chunkTests: ChunkTestOptions;

  /** Validates `options` (a TypeError names a bad option and its value) and builds the pipeline. */
  constructor(options: StreamPolicyOptions = {}) {
    const { pipeline, firstTokenMs, idleMs, ...chunkTests } = resolveStreamPolicyOptions(options);
    this.pipeline = createPolicy({ name: 'stream', ...pipeline });
    this.name = this.pipeline.name;
    this.events = this.pipeline.events;
    this.firstTokenMs = firstTokenMs;
    this.idleMs = idleMs;
    this.chunkTests = chunkTests;
  }

  /** The circuit breaker's state; `'closed'` when the policy has no breaker. */
  get circuitState(): CircuitStateName {
    return this.pipeline.circuitState;
  }

  /** The cockatiel circuit breaker inside (`isolate()`, `toJSON()`, ...), if the policy has one. */
  get circuitBreaker(): CircuitBreakerPolicy | undefined {
    return this.pipeline.circuitBreaker;
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
    if (typeof fn !== 'function') {
      throw new TypeError(`execute: fn must be a function, got ${describeValue(fn)}`);
    }
    let end = (): void => {};
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    const callerSignal = isAbortSignal(signalOrOptions)
      ? signalOrOptions
      : (signalOrOptions as ExecuteOptions | undefined)?.signal;
    const call: StreamCall = { startedAt: Date.now(), callerSignal, end, stream: undefined };
    // The pipeline keeps the call's bulkhead slot and total timeout until the stream has ended.
    const options = isAbortSignal(signalOrOptions) ? { signal: signalOrOptions } : signalOrOptions;
    const held =
      options === undefined ||
      (typeof options === 'object' && options !== null && !Array.isArray(options))
        ? { ...options, [HOLD_UNTIL]: ended }
        : options; // malformed: the pipeline throws its TypeError
    const result = this.pipeline.execute((context) => this.attempt(fn, context, call), held);
    // A stream committed just as the caller aborted belongs to nobody: close it.
    result.catch(() => call.stream?.release());
    return result as Promise<GuardedStream<T>>;
  }

  /** One attempt: the request and its stream up to the first token, under `firstTokenMs`. */
  private async attempt<T>(
    fn: StreamFn<T>,
    context: LlmCallContext,
    call: StreamCall,
  ): Promise<GuardedStream<T>> {
    const { attempt } = context;
    const controller = new AbortController();
    // The call's signal (the caller's abort before the first token, the total timeout) and the
    // caller's own (which the pipeline stops forwarding once the call has succeeded).
    const sources = [context.signal, call.callerSignal].filter((s) => s !== undefined);
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    const { firstTokenMs } = this;
    if (firstTokenMs !== undefined) {
      timer = setTimeout(() => {
        this.emitTimeout('firstToken', firstTokenMs, attempt);
        controller.abort(new TimeoutError('firstToken', firstTokenMs));
      }, firstTokenMs);
    }
    let committed = false;
    let streamEnded = false;
    try {
      const source = await raceSignal(
        () => fn({ signal: controller.signal, attempt }),
        controller.signal,
      );
      const stream = await guardStream(source, {
        ...(this.chunkTests as ChunkTestOptions<T>),
        controller,
        idleMs: this.idleMs,
        onEnd: (report: StreamEndReport) => {
          streamEnded = true;
          unlink();
          call.end();
          this.streamEnded(report, call, attempt);
        },
      });
      committed = true;
      call.stream = stream;
      // A stream that ended without any chunk had no first token.
      if (!streamEnded && this.events.listenerCount('firstToken') > 0) {
        this.events.emit('firstToken', {
          policy: this.name,
          attempt,
          latencyMs: Date.now() - call.startedAt,
        });
      }
      return stream;
    } finally {
      clearTimeout(timer);
      if (!committed) unlink();
    }
  }

  private streamEnded(report: StreamEndReport, call: StreamCall, attempt: number): void {
    const { error } = report;
    if (error instanceof TimeoutError && error.scope === 'idle') {
      this.emitTimeout('idle', error.timeoutMs, attempt);
    }
    if (this.events.listenerCount('streamEnd') === 0) return;
    this.events.emit('streamEnd', {
      policy: this.name,
      chunks: report.chunks,
      durationMs: Date.now() - call.startedAt,
      outcome: report.outcome,
      ...(report.outcome === 'failed' ? { reason: classifyError(error) } : {}),
    });
  }

  private emitTimeout(scope: 'firstToken' | 'idle', timeoutMs: number, attempt: number): void {
    if (this.events.listenerCount('timeout') > 0) {
      this.events.emit('timeout', { policy: this.name, scope, timeoutMs, attempt });
    }
  }
}
