import type { Event, IFailureEvent, ISuccessEvent } from 'cockatiel';
import { EventEmitter } from 'eventemitter3';
import { classifyError } from '../errors/classifyError.js';
import { limitOf } from '../validate.js';
import { CallRecord } from './callRecord.js';
import type { Reporter } from './reporter.js';

/** A call a {@link CallOwner} runs, until it settles. */
interface Owned<T> {
  readonly record: CallRecord;
  readonly startedAt: number;
  readonly signal: AbortSignal | undefined;
  readonly onCallerAbort: (() => void) | undefined;
  readonly resolve: (value: T) => void;
  readonly reject: (reason: unknown) => void;
  settled: boolean;
}

interface OutcomeListeners {
  success: [ISuccessEvent];
  failure: [IFailureEvent];
}

/**
 * Starts calls and reports how they end: the policy (or the outermost stage of this package in a
 * `wrap()`) that finds no call record for the signal it was given owns the call. It makes the
 * call's record, whose signal aborts when the caller's does; rejects at once when the call
 * aborts (the stages inside stop their work and settle in the background); and reports the
 * outcome once, as the `success` or `failure` event and cockatiel's `onSuccess` / `onFailure`.
 */
export class CallOwner {
  private readonly outcomes = new EventEmitter<OutcomeListeners>();
  /** cockatiel's success event: fires once per call that succeeds, retries included. */
  readonly onSuccess: Event<ISuccessEvent> = (listener) => this.listen('success', listener);
  /** cockatiel's failure event: fires once per call that fails for good. */
  readonly onFailure: Event<IFailureEvent> = (listener) => this.listen('failure', listener);

  constructor(private readonly reporter: Reporter) {}

  /**
   * Runs `run` with a new call record, linked to the caller's `signal`. `run` passes the
   * record's signal on to the stages.
   */
  run<T>(
    run: (record: CallRecord) => PromiseLike<T>,
    signal: AbortSignal | undefined,
    tokens: number | undefined,
    maxWaitMs?: number,
  ): Promise<T> {
    const startedAt = Date.now();
    const record = new CallRecord(tokens);
    record.maxWaitMs = limitOf(maxWaitMs);
    if (signal?.aborted) {
      record.abort(signal.reason);
      this.failed(record, startedAt, signal.reason);
      return Promise.reject(signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onCallerAbort =
        signal === undefined ? undefined : (): void => record.abort(signal.reason);
      if (onCallerAbort) signal?.addEventListener('abort', onCallerAbort, { once: true });
      const owned: Owned<T> = {
        record,
        startedAt,
        signal,
        onCallerAbort,
        resolve,
        reject,
        settled: false,
      };
      record.onAbort(() => this.settle(owned, true, record.reason));
      let running: PromiseLike<T>;
      try {
        running = run(record);
      } catch (error) {
        running = Promise.reject(error);
      }
      running.then(
        (value) => this.settle(owned, false, value),
        (error: unknown) => this.settle(owned, true, error),
      );
    });
  }

  /** Settles a call once: with the stages' outcome, or at once when the call aborts. */
  private settle<T>(owned: Owned<T>, failed: boolean, result: unknown): void {
    if (owned.settled) return;
    owned.settled = true;
    const { record, startedAt, signal, onCallerAbort } = owned;
    if (onCallerAbort) signal?.removeEventListener('abort', onCallerAbort);
    if (failed) {
      this.failed(record, startedAt, result);
      owned.reject(result);
    } else {
      this.succeeded(record, startedAt);
      owned.resolve(result as T);
    }
  }

  private listen<K extends keyof OutcomeListeners>(
    type: K,
    listener: (...event: OutcomeListeners[K]) => void,
  ): { dispose(): void } {
    this.outcomes.on(type, listener);
    return {
      dispose: () => {
        this.outcomes.off(type, listener);
      },
    };
  }

  private succeeded(record: CallRecord, startedAt: number): void {
    const { reporter, outcomes } = this;
    if (!reporter.events.listenerCount('success') && !outcomes.listenerCount('success')) return;
    const durationMs = Date.now() - startedAt;
    reporter.report('success', () => ({
      attempts: record.attempt,
      durationMs,
      ...routeOf(record),
    }));
    outcomes.emit('success', { duration: durationMs });
  }

  private failed(record: CallRecord, startedAt: number, error: unknown): void {
    const { reporter, outcomes } = this;
    if (!reporter.events.listenerCount('failure') && !outcomes.listenerCount('failure')) return;
    const durationMs = Date.now() - startedAt;
    // Once the call aborted, an abort with any reason of the caller's classifies as `aborted`.
    const reason = record.aborted
      ? classifyError(error, { signal: record.signal })
      : record.reasonOf(error);
    reporter.report('failure', () => ({
      attempts: record.attempt,
      durationMs,
      reason,
      ...routeOf(record),
    }));
    outcomes.emit('failure', {
      duration: durationMs,
      handled: reason.retryable,
      reason: { error },
    });
  }
}

/** The `route` field of a fallback call's outcome events; nothing for other calls. */
function routeOf(record: CallRecord): { route?: string } {
  return record.route === undefined ? {} : { route: record.route };
}
