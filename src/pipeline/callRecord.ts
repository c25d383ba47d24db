/** What the function given to `execute` receives for each attempt. */
export interface LlmCallContext {
  /** Aborts when the caller aborts, the attempt times out or the call's total timeout fires. */
  signal: AbortSignal;
  /** The attempt under way, counting from 1. */
  attempt: number;
}

type AbortListener = () => void;

/**
 * One call through an LlmPolicy, from stage to stage. cockatiel's `wrap()` hands a stage nothing
 * but a signal, so the call itself travels as that signal: a minimal stand-in for an AbortSignal
 * (`aborted`, `reason`, `addEventListener` / `removeEventListener` of `'abort'`) that only the
 * pipeline's stages and cockatiel's breaker see. It costs a plain object instead of an
 * AbortController; the function given to `execute` always gets a real AbortSignal (the attempt
 * timeout's, or {@link CallState.realSignal}).
 */
export class CallState {
  /** Whether the call was aborted: the caller's abort or the total timeout. */
  aborted = false;
  /** Why the call was aborted. */
  reason: unknown = undefined;
  /** The attempt under way, counting from 1; 0 before the first one. */
  attempt = 0;
  /** When the total timeout fires (`Date.now()` scale), if the call has one. */
  deadline: number | undefined = undefined;
  /**
   * Once the call has succeeded, it keeps its bulkhead slot and its total timeout until this
   * settles: the stream policy's stream, which lives on after `execute` resolved (see
   * {@link HOLD_UNTIL}).
   */
  holdUntil: PromiseLike<unknown> | undefined = undefined;
  private listeners: AbortListener[] | undefined = undefined;
  private real: AbortController | undefined = undefined;

  constructor(
    /** The token cost the caller declared (`execute(fn, { tokens })`). */
    readonly tokens: number | undefined,
  ) {}

  /** This call as the signal the stages pass along. */
  get signal(): AbortSignal {
    return this as unknown as AbortSignal;
  }

  /** A real AbortSignal that aborts with the call, made on first use. */
  realSignal(): AbortSignal {
    if (this.real === undefined) {
      const controller = new AbortController();
      if (this.aborted) controller.abort(this.reason);
      else this.addEventListener('abort', () => controller.abort(this.reason));
      this.real = controller;
    }
    return this.real.signal;
  }

  /**
   * A call of its own for attempt `attempt` of a hedge round, with this call's tokens: the
   * stages inside the hedging stage see it as the call, so one attempt of the round can be
   * aborted alone. The hedging stage aborts it when this call aborts.
   */
  branch(attempt: number): CallState {
    const branch = new CallState(this.tokens);
    branch.attempt = attempt;
    return branch;
  }

  /** Calls `listener` once when the call aborts. */
  addEventListener(_type: 'abort', listener: AbortListener, _options?: unknown): void {
    if (this.listeners === undefined) this.listeners = [listener];
    else this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: AbortListener): void {
    const { listeners } = this;
    if (listeners === undefined) return;
    const index = listeners.indexOf(listener);
    if (index >= 0) listeners.splice(index, 1);
  }

  /** Aborts the call with `reason` (once) and calls every abort listener. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }
}

/**
 * The call that `signal` stands for. Stages run only inside an LlmPolicy, which passes every call
 * as its signal; anything else is a bug, reported as a TypeError.
 */
export function callStateOf(signal: AbortSignal | undefined): CallState {
  if (signal instanceof CallState) return signal;
  throw new TypeError('llm-resilience: a pipeline stage ran outside of an LlmPolicy call');
}

/**
 * The key of the stream policy's execute option (hidden from the public `ExecuteOptions`):
 * `execute(fn, { signal, [HOLD_UNTIL]: ended })` sets the call's `holdUntil`.
 */
export const HOLD_UNTIL: unique symbol = Symbol('llm-resilience.holdUntil');

/** What a successful call still holds its bulkhead slot for (`CallState.holdUntil`), if any. */
export function holdOf(signal: AbortSignal): PromiseLike<unknown> | undefined {
  return signal instanceof CallState ? signal.holdUntil : undefined;
}
