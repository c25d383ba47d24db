import { TimeoutError, type TimeoutScope } from '../errors/TimeoutError.js';
import { checkObject, limitOf, millisOrInfinity, refuse, type Schema } from '../validate.js';
import type { CallRecord } from './callRecord.js';
import { invoke, PipelineStage, type StageFn } from './PipelineStage.js';
import { checkReporting, type ReportingOptions, withoutReporting } from './reporter.js';

/**
 * Options of {@link llmTimeout}: exactly one limit, in ms (Infinity: no limit). `attemptMs` bounds
 * each attempt (place it inside the retry stage); `totalMs` bounds the whole call, retries and
 * waits included (place it outside); `firstTokenMs` bounds a stream's attempt up to its first
 * token (the stream policy's attempt timeout).
 */
export type LlmTimeoutOptions = ReportingOptions &
  (
    | {
        /** The longest one attempt may take, in ms; it is then aborted and may be retried. */
        attemptMs: number;
        /** Not with `attemptMs`: one limit a stage. */
        totalMs?: never;
        /** Not with `attemptMs`: one limit a stage. */
        firstTokenMs?: never;
      }
    | {
        /** The longest the whole call may take, retries and waits included, in ms. */
        totalMs: number;
        /** Not with `totalMs`: one limit a stage. */
        attemptMs?: never;
        /** Not with `totalMs`: one limit a stage. */
        firstTokenMs?: never;
      }
    | {
        /** The longest a stream's attempt may take to deliver its first token, in ms. */
        firstTokenMs: number;
        /** Not with `firstTokenMs`: one limit a stage. */
        attemptMs?: never;
        /** Not with `firstTokenMs`: one limit a stage. */
        totalMs?: never;
      }
  );

const LIMITS: Schema = {
  attemptMs: { check: millisOrInfinity(1), optional: true },
  totalMs: { check: millisOrInfinity(1), optional: true },
  firstTokenMs: { check: millisOrInfinity(1), optional: true },
};

/**
 * A timeout stage ({@link llmTimeout}). `total` bounds the whole call, retries and waits included,
 * and sets the call's deadline (the retry stage reads it to not start a retry it could not
 * finish); `attempt` (or `firstToken`), innermost, bounds each attempt: when it fires, it
 * aborts the attempt's signal only, and the next attempt gets a fresh one.
 *
 * When the limit passes, the stage emits `timeout` and aborts the signal it hands on with a
 * `TimeoutError(scope, timeoutMs)`, so the request under way, a backoff sleep or a wait at the
 * rate-limit gate stop at once, and it rejects with that error (never the SDK's
 * APIUserAbortError). An attempt rejects at once, whatever the function does with its signal, so
 * the retry stage can go on; the total timeout aborts the call, which its owner rejects at once,
 * and settles itself when the work inside has stopped (for a stream, when the stream has ended).
 * When the call aborts, the stage clears its timer.
 */
export class LlmTimeoutPolicy extends PipelineStage {
  /** Which limit this stage enforces. */
  readonly scope: Exclude<TimeoutScope, 'idle'>;
  /** The limit in ms; `undefined` for Infinity (the stage passes calls through). */
  readonly timeoutMs: number | undefined;

  constructor(options: LlmTimeoutOptions) {
    super(checkReporting('timeout', options));
    const limits = checkObject(withoutReporting(options), LIMITS, {
      path: 'timeout',
      noun: 'a timeout option',
    });
    const given = Object.keys(LIMITS).filter((key) => limits[key] !== undefined);
    if (given.length !== 1) {
      refuse('timeout', 'exactly one of attemptMs, totalMs and firstTokenMs', options);
    }
    const scope = (given[0] as string).replace(/Ms$/, '') as LlmTimeoutPolicy['scope'];
    const ms = limits[`${scope}Ms`] as number;
    this.scope = scope;
    this.timeoutMs = limitOf(ms);
  }

  protected run<T>(fn: StageFn<T>, call: CallRecord): Promise<T> {
    if (call.aborted) return Promise.reject(call.reason);
    const { scope, timeoutMs, reporter } = this;
    const signal = call.signal;
    if (timeoutMs === undefined) return invoke(fn, { signal });
    const total = scope === 'total';
    if (total) call.deadline = Date.now() + timeoutMs;
    return new Promise<T>((resolve, reject) => {
      let timedOut: TimeoutError | undefined;
      const timer = setTimeout(() => {
        timedOut = new TimeoutError(scope, timeoutMs);
        reporter.report('timeout', () => ({ scope, timeoutMs, attempt: call.attempt }));
        if (total) call.abort(timedOut);
        else {
          call.abortAttempt(timedOut);
          // An attempt ends now, whatever the function does, so that the retry stage can go on.
          reject(timedOut);
        }
      }, timeoutMs);
      // The call aborted (the caller, or the total timeout), and with it the attempt's signal:
      // its owner has already rejected; let the work inside settle, so the bulkhead slot is
      // held until it has stopped. (Clearing a timer again is harmless: the listener stays.)
      call.onAbort(() => clearTimeout(timer));
      invoke(fn, { signal }).then(
        (value) => {
          const hold = total ? call.holdUntil : undefined;
          if (hold === undefined) clearTimeout(timer);
          else {
            const clear = (): void => clearTimeout(timer);
            hold.then(clear, clear);
          }
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(timedOut ?? error);
        },
      );
    });
  }
}

/**
 * A timeout stage as a cockatiel policy, for your own `wrap()`: `llmTimeout({ attemptMs })`
 * inside the retry stage bounds each attempt, `llmTimeout({ totalMs })` outside it bounds the
 * whole call (see {@link LlmTimeoutPolicy}). It rejects with the toolkit's `TimeoutError` and
 * emits `timeout`. Throws a TypeError naming a bad option and its value.
 */
export function llmTimeout(options: LlmTimeoutOptions): LlmTimeoutPolicy {
  return new LlmTimeoutPolicy(options);
}
