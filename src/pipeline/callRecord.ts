import { classifyError } from '../errors/classifyError.js';
import type { ErrorClassification } from '../errors/ErrorClassification.js';
import type { HeldLeave } from '../store/heldLeave.js';
import type { SharedAttempt } from '../store/sharedAttempt.js';

/** What the function given to `execute` receives for each attempt. */
export interface LlmCallContext {
  /** Aborts when the caller aborts, the attempt times out or the call's total timeout fires. */
  signal: AbortSignal;
  /** The attempt under way, counting from 1. */
  attempt: number;
}

/** A listener of a call's abort ({@link CallRecord.onAbort}). */
export type AbortListener = () => void;

/** Who holds the next attempt back after a failed one, and until when (`Date.now()` scale). */
export interface Hold {
  /** The rate-limit gate closed after a 429, or the open circuit breaker refused the attempt. */
  readonly by: 'gate' | 'breaker';
  /** When the next attempt may go. */
  readonly until: number;
}

/**
 * Where a signal keeps the call it belongs to: a symbol-keyed slot on the signal itself, which
 * lives and dies with it. (A WeakMap from signals to records costs more than the whole pipeline:
 * the garbage collector treats each of its short-lived entries as an ephemeron.)
 */
const RECORD: unique symbol = Symbol('llm-resilience.callRecord');

/** A signal as the registry sees it: with the slot for its call. */
type Registered = AbortSignal & { [RECORD]?: CallRecord };

/** Makes `signal` lead to `record`. */
function register(signal: AbortSignal, record: CallRecord): void {
  (signal as Registered)[RECORD] = record;
}

/** The last failure classified, for the stages that see only the error (cockatiel's filters). */
let last: { error: unknown; reason: ErrorClassification } | undefined;

/**
 * How `error` is classified, computed once for a failed attempt however many stages ask: the last
 * failure classified is kept, so a stage that sees only the error (the breaker's filter) and the
 * call's record share one classification.
 */
export function classifyOnce(error: unknown): ErrorClassification {
  if (last !== undefined && last.error === error) return last.reason;
  const reason = classifyError(error);
  last = { error, reason };
  return reason;
}

/**
 * One call through the stages: what they share, found from the signal cockatiel passes between
 * policies ({@link callRecordOf}). The call has a real AbortSignal, {@link CallRecord.signal},
 * that every stage passes on: it aborts when the call does ({@link CallRecord.abort}: the
 * caller's abort, the total timeout) or when the attempt under way times out
 * ({@link CallRecord.abortAttempt}); the next attempt then gets a fresh one, registered for the
 * same call. One signal serves a call whose attempts do not time out.
 */
export class CallRecord {
  /** The attempt under way, counting from 1; 0 before the first one. */
  attempt = 0;
  /** When the total timeout fires (`Date.now()` scale), if the call has one. */
  deadline: number | undefined = undefined;
  /**
   * Once the call has succeeded, it keeps its bulkhead slot and its total timeout until this
   * settles: a stream, which lives on after `execute` resolved. It resolves with `{ error }` when
   * the stream failed, with `undefined` when it ended otherwise.
   */
  holdUntil: PromiseLike<unknown> | undefined = undefined;
  /** Who holds the next attempt back after the last failed one, if anybody. */
  hold: Hold | undefined = undefined;
  /**
   * The longest wait before an attempt the call accepts (`execute(fn, { maxWaitMs })`): a longer
   * backoff, server hint, rate-limit gate hold or open breaker fails the call at once instead.
   */
  maxWaitMs: number | undefined = undefined;
  /** The route that answered, for a fallback policy's `success` and `failure` events. */
  route: string | undefined = undefined;
  /**
   * The attempt under way through a shared store: what the gate's way in answered, and what the
   * breaker inside hands back for the way out.
   * @internal
   */
  shared: SharedAttempt | undefined = undefined;
  private held: HeldLeave[] | undefined = undefined;
  private failure: { error: unknown; reason: ErrorClassification } | undefined = undefined;
  private listeners: AbortListener[] | undefined = undefined;
  private controller = new AbortController();
  /** Whether the attempt under way timed out: the next use of the signal makes a fresh one. */
  private spent = false;
  private ended: { reason: unknown } | undefined = undefined;

  constructor(
    /** The token cost the caller declared (`execute(fn, { tokens })`). */
    readonly tokens: number | undefined,
    /** The call a hedge attempt belongs to; the record itself for a call. */
    private readonly root?: CallRecord,
  ) {
    register(this.controller.signal, this);
  }

  /**
   * The signal of the call's attempt under way: pass it on to the stages inside and the request.
   * It aborts with the call, or when the attempt times out.
   */
  get signal(): AbortSignal {
    if (this.spent) {
      this.spent = false;
      this.controller = new AbortController();
      register(this.controller.signal, this);
      if (this.ended !== undefined) this.controller.abort(this.ended.reason);
    }
    return this.controller.signal;
  }

  /** Whether the call was aborted: the caller's abort or the total timeout. */
  get aborted(): boolean {
    return this.ended !== undefined;
  }

  /** Why the call was aborted. */
  get reason(): unknown {
    return this.ended?.reason;
  }

  /** Aborts the signal of the attempt under way only (it timed out); the call goes on. */
  abortAttempt(reason: unknown): void {
    if (this.spent || this.ended !== undefined) return;
    this.spent = true;
    this.controller.abort(reason);
  }

  /**
   * How a failed attempt's `error` is classified: computed once per failed attempt (the first
   * stage to ask), then read by every stage and event of the call.
   */
  reasonOf(error: unknown): ErrorClassification {
    if (this.root !== undefined) return this.root.reasonOf(error);
    const { failure } = this;
    if (failure !== undefined && failure.error === error) return failure.reason;
    const reason = classifyOnce(error);
    this.failure = { error, reason };
    return reason;
  }

  /**
   * The ways out to the store that the retry stage holds while the call's attempt is under way
   * (it has a shared retry budget), for every attempt of a hedge round; otherwise `undefined`.
   * @internal
   */
  get heldLeaves(): HeldLeave[] | undefined {
    return (this.root ?? this).held;
  }

  /**
   * Holds the call's ways out from now on (`hold`), or stops; returns those held until now.
   * @internal
   */
  holdLeaves(hold: boolean): HeldLeave[] | undefined {
    const held = this.held;
    this.held = hold ? [] : undefined;
    return held;
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
    branch.maxWaitMs = this.maxWaitMs;
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

  /** Aborts the call with `reason` (once): its signal, then every abort listener. */
  abort(reason: unknown): void {
    if (this.ended !== undefined) return;
    this.ended = { reason };
    if (!this.spent) this.controller.abort(reason);
    const { listeners } = this;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }
}

/** The call `signal` belongs to, if a stage or policy of this package started one for it. */
export function callRecordOf(signal: AbortSignal | undefined): CallRecord | undefined {
  return signal === undefined ? undefined : (signal as Registered)[RECORD];
}
