import { isAbortSignal } from '../signals.js';
import { atLeastZero, checkObject, refuse, type Schema } from '../validate.js';

/** The second argument of `execute` in its object form. */
export interface ExecuteOptions {
  /** Aborts the call: the running attempt, a backoff sleep or a wait in a queue. */
  signal?: AbortSignal;
  /** The call's token cost, for the rate-limit gate's `tokensPerMinute` budget. */
  tokens?: number;
}

const EXECUTE: Schema = {
  signal: {
    check: (v) => (isAbortSignal(v) ? undefined : 'an AbortSignal'),
    optional: true,
  },
  tokens: { check: atLeastZero, optional: true },
};

/**
 * Checks the arguments of a policy's `execute` (a TypeError at once names a bad one and its
 * value): `fn` a function, then the caller's AbortSignal or `{ signal?, tokens? }`.
 */
export function executeArgs(
  fn: unknown,
  signalOrOptions: AbortSignal | ExecuteOptions | undefined,
): ExecuteOptions {
  if (typeof fn !== 'function') refuse('execute: fn', 'a function', fn);
  if (signalOrOptions === undefined) return {};
  if (isAbortSignal(signalOrOptions)) return { signal: signalOrOptions };
  return checkObject(signalOrOptions, EXECUTE, {
    path: 'execute: the second argument',
    expected: 'an AbortSignal or { signal?, tokens? }',
    noun: 'an execute option',
    field: (key) => `execute: ${key}`,
  }) as ExecuteOptions;
}
