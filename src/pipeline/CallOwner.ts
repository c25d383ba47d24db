import type { Event, IFailureEvent, ISuccessEvent } from 'cockatiel';
import { EventEmitter } from 'eventemitter3';
import { classifyError } from '../errors/classifyError.js';
import type { ErrorClassification } from '../errors/ErrorClassification.js';
import { limitOf } from '../validate.js';
import { CallRecord } from './callRecord.js';
import {
  type CallOutcome,
  type CallWatch,
  type CallWatcher,
  CallWatchers,
} from './callWatchers.js';
import type { Reporter } from './reporter.js';

/** A call a {@link CallOwner} runs, until it settles. */
interface Owned<T> {
  readonly record: CallRecord;
  readonly startedAt: number;
  readonly signal: AbortSignal | undefined;
  readonly onCallerAbort: (() => void) | undefined;
  readonly watches: readonly CallWatch[] | undefined;
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
 * Its watchers ({@link CallOwner.watch}) see each call from its start to its end: for a call
 * whose record holds on after it resolved (a stream), to the end of that.
 */
export class CallOwner {
  private readonly outcomes = new EventEmitter<OutcomeListeners>();
  /** cockatiel's success event: fires once per call that succeeds, retries included. */
  readonly onSuccess: Event<ISuccessEvent> = (listener) => this.listen('success', listener);
  /** cockatiel's failure event: fires once per call that fails for good. */
  readonly onFailure: Event<IFailureEvent> = (listener) => this.listen('failure', listener);

  private readonly watchers = new CallWatchers();

  constructor(private readonly reporter: Reporter) {}

  /** Adds a watcher of every call from now on; returns a function that removes it. */
  watch(watcher: CallWatcher): () => void {
    return this.watchers.add(watcher);
  }

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
    const watches: CallWatch[] | undefined = this.watchers.empty ? undefined : [];
    if (signal?.aborted) {
      record.abort(signal.reason);
      this.failed(record, startedAt, signal.reason);
      if (watches !== undefined) {
        this.watchers.start(() => undefined, watches);
        this.ended(watches, record, signal.reason);
      }
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
        watches,
        resolve,
        reject,
        settled: false,
      };
      record.onAbort(() => this.settle(owned, true, record.reason));
      let running: PromiseLike<T>;
      try {
        running =
          watches === undefined ? run(record) : this.watchers.start(() => run(record), watches);
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
    const { record, startedAt, signal, onCallerAbort, watches } = owned;
    if (onCallerAbort) signal?.removeEventListener('abort', onCallerAbort);
    if (failed) {
      this.failed(record, startedAt, result);
      if (watches !== undefined) this.ended(watches, record, result);
      owned.reject(result);
    } else {
      this.succeeded(record, startedAt);
      if (watches !== undefined) this.lived(watches, record);
      owned.resolve(result as T);
    }
  }

  /** Tells the watches of a call that succeeded of its end: now, or when its record lets go. */
  private lived(watches: readonly CallWatch[], record: CallRecord): void {
    const hold = record.holdUntil;
    const end = (outcome: CallOutcome): void => CallWatchers.end(watches, outcome);
    if (hold === undefined) {
      end({ attempts: record.attempt });
      return;
    }
    hold.then(
      (after) => {
        const failed = typeof after === 'object' && after !== null && 'error' in after;
        end(
          failed
            ? { attempts: record.attempt, reason: record.reasonOf(after.error) }
            : { attempts: record.attempt },
        );
      },
      (error: unknown) => end({ attempts: record.attempt, reason: record.reasonOf(error) }),
    );
  }

  /** Tells the watches of a call that failed with `error` of its end. */
  private ended(watches: readonly CallWatch[], record: CallRecord, error: unknown): void {
    CallWatchers.end(watches, { attempts: record.attempt, reason: reasonFor(record, error) });
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
    const reason = reasonFor(record, error);
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

/** Why a call failed with `error`. */
function reasonFor(record: CallRecord, error: unknown): ErrorClassification {
  // Once the call aborted, an abort with any reason of the caller's classifies as `aborted`.
  return record.aborted ? classifyError(error, { signal: record.signal }) : record.reasonOf(error);
}

/** The `route` field of a fallback call's outcome events; nothing for other calls. */
function routeOf(record: CallRecord): { route?: string } {
  return record.route === undefined ? {} : { route: record.route };
}
