import type { StreamOutcome } from '../events.js';
import { StreamUsage } from '../rateLimit/usageTokens.js';
import { checkValue, limitOf, millisOrInfinity } from '../validate.js';
import { AnswerEndWatch } from './AnswerEndWatch.js';
import { isFirstOutput } from './isFirstOutput.js';
import { notAStreamError } from './notAStreamError.js';
import { raceSignal } from './raceSignal.js';
import { StreamEndedEarlyError } from './StreamEndedEarlyError.js';
import { StreamInterruptedError } from './StreamInterruptedError.js';
import { checkChunkTest } from './streamPolicyOptions.js';

/** How a guarded stream ended, as its `onEnd` callback receives it. */
export interface StreamEndReport {
  /** Chunks the consumer received. */
  chunks: number;
  /** Milliseconds from the `guardStream` call to the end. */
  durationMs: number;
  /** `completed` (read to the end), `released` (left early by the consumer) or `failed`. */
  outcome: StreamOutcome;
  /** What stopped a failed stream (the `cause` of the `StreamInterruptedError` thrown). */
  error?: unknown;
  /** The tokens the stream's usage chunks or events reported, if any (see `StreamUsage`). */
  usage?: number;
}

/** Options of {@link guardStream}. */
export interface GuardStreamOptions<T = unknown> {
  /**
   * The controller whose signal the request behind the stream listens to (pass its signal to the
   * SDK call). Aborting it stops the stream with its reason as the error's cause; the guard aborts
   * it itself to close the connection when it gives up on the stream or the consumer leaves early.
   * Default: a new controller, so only the source's own `return()` can close the connection.
   */
  controller?: AbortController;
  /**
   * The longest wait, in milliseconds, for each chunk after the first token while the consumer
   * is asking for it (time the consumer spends between reads does not count). Default: no limit
   * (also `Infinity` or `undefined`).
   */
  idleMs?: number | undefined;
  /**
   * Which chunk is the first token: `guardStream` resolves once it has arrived, holding back the
   * chunks before it. Default {@link isFirstOutput}: the first chunk of model output in each
   * known shape (not a lifecycle or thinking chunk), any chunk of another shape.
   */
  isFirstToken?: (chunk: T) => boolean;
  /**
   * Which chunk ends the answer: with it, a stream that ends without such a chunk fails with a
   * {@link StreamEndedEarlyError} (a connection error) instead of ending silently. Default: the
   * end chunk of each known shape (see `isFirstOutput`); a stream of another shape is taken as
   * complete when it ends.
   */
  isAnswerEnd?: (chunk: T) => boolean;
  /** Called once when the stream ends after its first token, however it ends. Must not throw. */
  onEnd?: (report: StreamEndReport) => void;
}

/** What a {@link GuardedStream} is made with besides its source: the checked options. */
interface GuardSettings {
  readonly controller: AbortController;
  /** Finite, or `undefined` for no limit. */
  readonly idleMs: number | undefined;
  readonly onEnd: ((report: StreamEndReport) => void) | undefined;
  /** When `guardStream` was called (`Date.now()` scale). */
  readonly startedAt: number;
}

/**
 * A stream that either finishes or throws: the async iterable `guardStream` resolves with. It
 * yields every chunk of the source in order, from the very first, and can be iterated once.
 * While the consumer waits for a chunk it enforces `idleMs`; a stall, a failure of the source, an
 * abort of the controller, or a source that ends because its request was aborted throws a
 * {@link StreamInterruptedError} telling how many chunks were delivered; so does an error chunk
 * (the AI SDK's `error` part) and a stream of a known shape that ends cleanly before the end of
 * its answer (a {@link StreamEndedEarlyError}, see `AnswerEndWatch`). An abort of the
 * controller ends the stream at once, even while nobody reads it (the next read throws). Leaving
 * the loop early (`break`, or `release()`) aborts the controller and returns the source at once.
 * No timer or listener outlives the stream's end.
 */
export class GuardedStream<T> implements AsyncIterable<T> {
  #chunks = 0;
  #ended = false;
  #iterated = false;
  readonly #held: T[];
  #sourceDone: boolean;
  /** The error the next read throws, once. */
  #failure: StreamInterruptedError | undefined;
  readonly #answer: AnswerEndWatch;
  readonly #usage: StreamUsage;
  readonly #source: AsyncIterator<T>;
  readonly #sourceIterable: AsyncIterable<T>;
  readonly #controller: AbortController;
  readonly #idleMs: number | undefined;
  readonly #onEnd: ((report: StreamEndReport) => void) | undefined;
  readonly #startedAt: number;
  readonly #onAbort = () => {
    this.#fail(this.#controller.signal.reason);
  };

  /** @internal Made by {@link guardStream} once the first token has arrived. */
  constructor(
    sourceIterable: AsyncIterable<T>,
    source: AsyncIterator<T>,
    opening: { held: T[]; sourceDone: boolean; answer: AnswerEndWatch; usage: StreamUsage },
    settings: GuardSettings,
  ) {
    this.#sourceIterable = sourceIterable;
    this.#source = source;
    this.#held = opening.held;
    this.#sourceDone = opening.sourceDone;
    this.#answer = opening.answer;
    this.#usage = opening.usage;
    this.#controller = settings.controller;
    this.#idleMs = settings.idleMs;
    this.#onEnd = settings.onEnd;
    this.#startedAt = settings.startedAt;
    if (this.#sourceDone && this.#held.length === 0) {
      this.#end('completed');
    } else {
      // Removed when the stream ends (its handler ends it).
      this.#controller.signal.addEventListener('abort', this.#onAbort);
    }
  }

  /** How many chunks the consumer has received so far. */
  get chunks(): number {
    return this.#chunks;
  }

  /** Gives the stream up without reading it: closes the connection, like leaving the loop early. */
  release(): void {
    if (this.#ended) {
      return;
    }
    this.#end('released');
    closeSource(this.#source, this.#controller, undefined);
  }

  /**
   * The stream's one iterator (`for await`); a second call throws a TypeError. Its `return()`
   * (leaving the loop early) releases the stream.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterated) {
      throw new TypeError('A guarded stream can be iterated only once.');
    }
    this.#iterated = true;
    return {
      next: () => this.#next(),
      return: () => {
        this.release();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  async #next(): Promise<IteratorResult<T>> {
    const result = this.#ended ? undefined : await this.#read();
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#failure = undefined;
      throw failure;
    }
    if (result === undefined || this.#ended) {
      return { done: true, value: undefined };
    }
    if (result.done) {
      this.#end('completed');
    } else {
      this.#chunks += 1;
    }
    return result;
  }

  /** The next result: a held chunk, or the source's next one; `undefined` when that failed. */
  async #read(): Promise<IteratorResult<T> | undefined> {
    if (this.#held.length > 0) {
      return { done: false, value: this.#held.shift() as T };
    }
    if (this.#sourceDone) {
      return { done: true, value: undefined };
    }
    try {
      const result = await raceSignal(
        () => this.#source.next(),
        this.#controller.signal,
        this.#idleMs,
      );
      if (result.done) {
        throwIfUnfinished(this.#controller.signal, this.#sourceIterable, this.#answer);
      } else {
        this.#answer.see(result.value);
        this.#usage.see(result.value);
      }
      return result;
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
  }

  #fail(error: unknown): void {
    if (this.#ended) {
      return;
    }
    this.#failure = new StreamInterruptedError(this.#chunks, error);
    this.#end('failed', error);
    closeSource(this.#source, this.#controller, error);
  }

  #end(outcome: StreamOutcome, error?: unknown): void {
    this.#ended = true;
    this.#controller.signal.removeEventListener('abort', this.#onAbort);
    const report: StreamEndReport = {
      chunks: this.#chunks,
      durationMs: Date.now() - this.#startedAt,
      outcome,
    };
    if (error !== undefined) {
      report.error = error;
    }
    const usage = this.#usage.tokens;
    if (usage !== undefined) {
      report.usage = usage;
    }
    this.#onEnd?.(report);
  }
}

/**
 * Starts reading `source` (an SDK's stream: OpenAI chat completions or Responses API events,
 * Anthropic Messages events, Gemini `generateContentStream`, the AI SDK's `fullStream`, Bedrock
 * `ConverseStream`'s `stream`, or any async iterable) and resolves once its first token has arrived (see
 * `isFirstToken`), with a {@link GuardedStream} that yields every chunk from the very first. It
 * rejects with the source's own error, unwrapped, when the source fails (or sends an error chunk)
 * before its first token,
 * and with the controller's abort reason when the controller aborts first (a first-token timeout
 * is such an abort); the connection is closed then. A source that ends without a first token
 * resolves with a completed stream of the chunks it gave. Waiting for the first token has no limit
 * of its own: abort the controller. Rejects with a TypeError at once for a bad `idleMs`,
 * `isFirstToken` or `isAnswerEnd`, or a `source` that is not an async iterable.
 */
export async function guardStream<T>(
  source: AsyncIterable<T>,
  options: GuardStreamOptions<T> = {},
): Promise<GuardedStream<T>> {
  const {
    controller = new AbortController(),
    idleMs,
    onEnd,
    isFirstToken = isFirstOutput,
    isAnswerEnd,
  } = options;
  if (typeof (source as Partial<AsyncIterable<T>> | null)?.[Symbol.asyncIterator] !== 'function') {
    throw notAStreamError(source);
  }
  if (idleMs !== undefined) checkValue('idleMs', idleMs, millisOrInfinity(1));
  checkChunkTest('isFirstToken', isFirstToken);
  checkChunkTest('isAnswerEnd', isAnswerEnd);
  const startedAt = Date.now();
  const iterator = source[Symbol.asyncIterator]();
  const held: T[] = [];
  const answer = new AnswerEndWatch(isAnswerEnd);
  const usage = new StreamUsage();
  let sourceDone = false;
  try {
    for (;;) {
      const result = await raceSignal(() => iterator.next(), controller.signal);
      if (result.done) {
        throwIfUnfinished(controller.signal, source, answer);
        sourceDone = true;
        break;
      }
      answer.see(result.value);
      usage.see(result.value);
      held.push(result.value);
      if (isFirstToken(result.value)) {
        break;
      }
    }
  } catch (error) {
    closeSource(iterator, controller, error);
    throw error;
  }
  return new GuardedStream(
    source,
    iterator,
    { held, sourceDone, answer, usage },
    {
      controller,
      startedAt,
      onEnd,
      idleMs: limitOf(idleMs),
    },
  );
}

/** Closes the connection behind a source the guard gives up on, without waiting for it. */
function closeSource<T>(iterator: AsyncIterator<T>, controller: AbortController, reason: unknown) {
  controller.abort(reason); // does nothing to a controller already aborted
  try {
    Promise.resolve(iterator.return?.()).catch(() => undefined);
  } catch {
    // A source whose return() throws is closed as far as it can be.
  }
}

/** The controller the openai SDK's `Stream` exposes, when `source` is one. */
function sourceSignal(source: AsyncIterable<unknown>): AbortSignal | undefined {
  const controller: unknown = (source as { controller?: unknown }).controller;
  return controller instanceof AbortController ? controller.signal : undefined;
}

/**
 * Throws when a source that just ended did not finish: its request was aborted (an SDK stream
 * whose request was aborted just ends, as if its answer were complete), by the guard's controller
 * or the SDK's own (the abort reason), or its server closed it before the end of the answer.
 */
function throwIfUnfinished(
  signal: AbortSignal,
  source: AsyncIterable<unknown>,
  answer: AnswerEndWatch,
): void {
  if (signal.aborted) throw signal.reason;
  const sdkSignal = sourceSignal(source);
  if (sdkSignal?.aborted === true) throw sdkSignal.reason;
  if (answer.cutShort) throw new StreamEndedEarlyError();
}
