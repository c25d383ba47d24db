import { classifyOpenAIError } from '../errors/classifyOpenAIError.js';
import type { ErrorClassification } from '../errors/ErrorClassification.js';

/** What the function given to `execute` receives for each attempt. */
export interface LlmCallContext {
  /** Aborts when the caller aborts, the attempt times out or the call's total timeout fires. */
  signal: AbortSignal;
  /** The attempt under way, counting from 1. */
  attempt: number;
}

type AbortListener = () => void;

/** Who holds the next attempt back after a failed one, and until when (`Date.now()` scale). */
export interface Hold {
  /** The rate-limit gate closed after a 429, or the open circuit breaker refused the attempt. */
  readonly by: 'gate' | 'breaker';
  /** When the next attempt may go. */
  readonly until: number;
}

const records = new WeakMap<AbortSignal, CallRecord>();

/**
 * One call through the stages: what they share, found from the signal cockatiel passes between
 * policies ({@link callRecordOf}). The call has a real AbortSignal of its own, aborted with
 * {@link CallRecord.abort} (the caller's abort, the total timeout); stages pass it, or a signal
 * of their own registered for the same call ({@link CallRecord.register}), to the stages inside.
 */
export class CallRecord {
  /** The attempt under way, counting from 1; 0 before the first one. */
  attempt = 0;
  /** When the total timeout fires (`Date.now()` scale), if the call has one. */
  deadline: number | undefined = undefined;
  /**
   * Once the call has succeeded, it keeps its bulkhead slot and its total timeout until this
   * settles: a stream, which lives on after `execute` resolved.
   */
  holdUntil: PromiseLike<unknown> | undefined = undefined;
  /** Who holds the next attempt back after the last failed one, if anybody. */
  hold: Hold | undefined = undefined;
  private failure: { error: unknown; reason: ErrorClassification } | undefined = undefined;
  private listeners: AbortListener[] | undefined = undefined;
  private readonly controller = new AbortController();

  constructor(
    /** The token cost the caller declared (`execute(fn, { tokens })`). */
    readonly tokens: number | undefined,
    /** The call a hedge attempt belongs to; the record itself for a call. */
    private readonly root?: CallRecord,
  ) {
    records.set(this.controller.signal, this);
  }

  /** The call's signal: aborts with the call. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the call was aborted: the caller's abort or the total timeout. */
  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Why the call was aborted. */
  get reason(): unknown {
    return this.controller.signal.reason;
  }

  /** Makes `signal` (an attempt's own) lead to this call too. */
  register(signal: AbortSignal): void {
    records.set(signal, this);
  }

  /**
   * How a failed attempt's `error` is classified: computed once per failed attempt (the first
   * stage to ask), then read by every stage and event of the call.
   */
  reasonOf(error: unknown): ErrorClassification {
    if (this.root !== undefined) return this.root.reasonOf(error);
    const { failure } = this;
    if (failure !== undefined && failure.error === error) return failure.reason;
    const reason = classifyOpenAIError(error);
    this.failure = { error, reason };
    return reason;
  }

  /** Forgets the last hold: a new round of attempts starts. */
  clearHold(): void {
    this.hold = undefined;
  }

  /** Holds the call's next attempt back until `until` (the latest hold wins). */
  holdNext(by: Hold['by'], until: number): void {
    if (this.root !== undefined) this.root.holdNext(by, until);
    else if (this.hold === undefined || this.hold.until < until) this.hold = { by, until };
  }

  /**
   * A record of its own for attempt `attempt` of a hedge round, with this call's tokens and
   * deadline: the stages inside the hedging stage see it as the call, so one attempt of the
   * round can be aborted alone. The hedging stage aborts it when this call aborts.
   */
  branch(attempt: number): CallRecord {
    const branch = new CallRecord(this.tokens, this.root ?? this);
    branch.attempt = attempt;
    branch.deadline = this.deadline;
    return branch;
  }

  /** Calls `listener` once when the call aborts. */
  onAbort(listener: AbortListener): void {
    if (this.listeners === undefined) this.listeners = [listener];
    else this.listeners.push(listener);
  }

  /** Removes a listener given to {@link CallRecord.onAbort}. */
  offAbort(listener: AbortListener): void {
    const { listeners } = this;
    if (listeners === undefined) return;
    const index = listeners.indexOf(listener);
    if (index >= 0) listeners.splice(index, 1);
  }

  /** Aborts the call's signal with `reason` (once) and calls every abort listener. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.controller.abort(reason);
    const { listeners } = this;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }
}

/** The call `signal` belongs to, if a stage or policy of this package started one for it. */
export function callRecordOf(signal: AbortSignal | undefined): CallRecord | undefined {
  return signal === undefined ? undefined : records.get(signal);
}
