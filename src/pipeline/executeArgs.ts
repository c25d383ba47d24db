import { isAbortSignal } from '../signals.js';
import { atLeastZero, checkObject, millisOrInfinity, refuse, type Schema } from '../validate.js';

/** The second argument of `execute` in its object form. */
export interface ExecuteOptions {
  /** Aborts the call: the running attempt, a backoff sleep or a wait in a queue. */
  signal?: AbortSignal;
  /** The call's token cost, for the rate-limit gate's `tokensPerMinute` budget. */
  tokens?: number;
  /**
   * The longest wait before an attempt this call accepts, in ms: a longer backoff, server hint or
   * open breaker fails the call at once with the last error, a longer hold of the rate-limit gate
   * with a `RateLimitHoldError`, without a request (the `giveUp` event's `why` is
   * `'wait_too_long'`). A fallback policy gives each route's call its `maxWaitMs`.
   * Default: no limit.
   */
  maxWaitMs?: number;
}

const EXECUTE: Schema = {
  signal: {
    check: (v) => (isAbortSignal(v) ? undefined : 'an AbortSignal'),
    optional: true,
  },
  tokens: { check: atLeastZero, optional: true },
  maxWaitMs: { check: millisOrInfinity(0), optional: true },
};

const { maxWaitMs: _maxWaitMs, ...EXECUTE_SIGNAL_TOKENS } = EXECUTE;

/**
 * Checks the arguments of a policy's `execute` (a TypeError at once names a bad one and its
 * value): `fn` a function, then the caller's AbortSignal or `{ signal?, tokens?, maxWaitMs? }`.
 */
export function executeArgs(
  fn: unknown,
  signalOrOptions: AbortSignal | ExecuteOptions | undefined,
): ExecuteOptions {
  if (typeof fn !== 'function') refuse('execute: fn', 'a function', fn);
  return executeOptions(signalOrOptions, true);
}

/**
 * Checks the second argument of an `execute`: the caller's AbortSignal or `{ signal?, tokens? }`,
 * with `maxWaitMs` when `withMaxWait`.
 */
export function executeOptions(signalOrOptions: unknown, withMaxWait: boolean): ExecuteOptions {
  if (signalOrOptions === undefined) return {};
  if (isAbortSignal(signalOrOptions)) return { signal: signalOrOptions };
  return checkObject(signalOrOptions, withMaxWait ? EXECUTE : EXECUTE_SIGNAL_TOKENS, {
    path: 'execute: the second argument',
    expected: `an AbortSignal or { signal?, tokens?${withMaxWait ? ', maxWaitMs?' : ''} }`,
    noun: 'an execute option',
    field: (key) => `execute: ${key}`,
  }) as ExecuteOptions;
}
