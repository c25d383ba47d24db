import {
  aFunction,
  atLeastZero,
  checkObject,
  fraction,
  positive,
  type Schema,
} from '../validate.js';
import type { CountTokens } from './requestTokens.js';

/**
 * Options of the rate-limit gate (`createPolicy({ rateLimit })`). Every field is optional: `{}`
 * gives the adaptive gate alone, which costs nothing until the server's first 429.
 */
export interface RateLimitOptions {
  /**
   * A fixed budget of requests per minute, enforced before the server has to say so: a token
   * bucket holding one second's worth (`requestsPerMinute / 60`, at least 1) that refills at
   * `requestsPerMinute / 60` per second. Default: none (only the pace learned from 429s).
   */
  requestsPerMinute?: number;
  /**
   * A fixed budget of tokens per minute: a token bucket holding one second's worth, refilled at
   * `tokensPerMinute / 60` per second. A call may go once the bucket is full or holds its cost, and
   * a large call then leaves a debt that later calls wait out. A call costing more than
   * `tokensPerMinute` is rejected at once with a {@link RateLimitBudgetError}. Default: none.
   */
  tokensPerMinute?: number;
  /**
   * The token cost of a call, for `tokensPerMinute`: called before every attempt with the tokens
   * the call declared (`execute(fn, { tokens })`, `undefined` when it declared none) and returns the
   * cost, a finite number >= 0, e.g. `(declared) => (declared ?? 500) + 256` to add the
   * completion's `max_tokens`. Only allowed with `tokensPerMinute`. Default: the declared tokens,
   * or 0 when the call declares none.
   */
  estimateTokens?: (declared: number | undefined) => number;
  /**
   * Counts the tokens of a prompt's text, for the estimate `policy.fetch` makes of each request
   * from its JSON body (the prompt's tokens plus its `max_tokens`): e.g. a real tokenizer,
   * `(text) => encode(text).length` with `gpt-tokenizer`. Must return a finite number >= 0.
   * Default: a token per 4 characters.
   */
  countTokens?: CountTokens;
  /**
   * Additive increase of the learned pace: requests per second added for each second of
   * successes while callers wait at the gate, once the pace is back where it was last cut from
   * (it regains a cut within about a second). Default 2.
   */
  increasePerSec?: number;
  /**
   * Multiplicative decrease: the learned pace is multiplied by this on a fresh 429 (at most once
   * a second), in (0, 1]. Default 0.7.
   */
  decreaseFactor?: number;
  /** The learned pace never drops below this many requests per second. Default 0.5. */
  minRatePerSec?: number;
  /**
   * How long the learned pace outlives the congestion it was learned from: once no 429 has come
   * for this many ms after the gate last reopened, the pace is forgotten the next time nobody
   * waits at the gate (never with callers queued, so no queue is released at once), and the gate
   * is unpaced again until the next 429. Default 2000.
   */
  forgetAfterMs?: number;
  /**
   * How long the gate closes after a 429 without a wait hint (`retry-after-ms` / `retry-after`);
   * doubled for each further 429 in a row, up to `maxWaitMs`. Default 1000.
   */
  backoffMs?: number;
  /** The longest the gate stays closed after one 429, whatever the server's hint. Default 60000. */
  maxWaitMs?: number;
}

/** {@link RateLimitOptions} with every default filled in. */
export interface ResolvedRateLimitOptions {
  requestsPerMinute: number | undefined;
  tokensPerMinute: number | undefined;
  estimateTokens: ((declared: number | undefined) => number) | undefined;
  countTokens: CountTokens | undefined;
  increasePerSec: number;
  decreaseFactor: number;
  minRatePerSec: number;
  forgetAfterMs: number;
  backoffMs: number;
  maxWaitMs: number;
}

/** The defaults of {@link RateLimitOptions}. */
export const RATE_LIMIT_DEFAULTS = {
  /** Default of {@link RateLimitOptions.increasePerSec}: 2 requests per second per second. */
  increasePerSec: 2,
  /** Default of {@link RateLimitOptions.decreaseFactor}: 0.7. */
  decreaseFactor: 0.7,
  /** Default of {@link RateLimitOptions.minRatePerSec}: 0.5 requests per second. */
  minRatePerSec: 0.5,
  /** Default of {@link RateLimitOptions.forgetAfterMs}: 2000 ms. */
  forgetAfterMs: 2000,
  /** Default of {@link RateLimitOptions.backoffMs}: 1000 ms. */
  backoffMs: 1000,
  /** Default of {@link RateLimitOptions.maxWaitMs}: 60000 ms. */
  maxWaitMs: 60_000,
} as const;

const CHECKS: Schema = {
  requestsPerMinute: { check: positive, optional: true },
  tokensPerMinute: { check: positive, optional: true },
  estimateTokens: { check: aFunction, optional: true },
  countTokens: { check: aFunction, optional: true },
  increasePerSec: { check: atLeastZero, optional: true },
  decreaseFactor: { check: fraction, optional: true },
  minRatePerSec: { check: positive, optional: true },
  forgetAfterMs: { check: atLeastZero, optional: true },
  backoffMs: { check: positive, optional: true },
  maxWaitMs: { check: positive, optional: true },
};

/**
 * Checks rate-limit options and returns them unchanged. Throws a TypeError naming the option
 * (`${path}.name`) and the value given for an unknown option, a value of the wrong type, a
 * negative, zero, NaN or infinite number, or `estimateTokens` without `tokensPerMinute`.
 * `path` is where the options sit, for the message; default `'rateLimit'`.
 */
export function validateRateLimitOptions(value: unknown, path = 'rateLimit'): RateLimitOptions {
  const record = checkObject(value, CHECKS, { path, noun: 'a rate-limit option' });
  if (record.estimateTokens !== undefined && record.tokensPerMinute === undefined) {
    throw new TypeError(
      `${path}.estimateTokens needs ${path}.tokensPerMinute (it prices calls against that budget), got tokensPerMinute undefined`,
    );
  }
  return value as RateLimitOptions;
}

/** Validates `options` and fills in the defaults. */
export function resolveRateLimitOptions(
  options: RateLimitOptions,
  path = 'rateLimit',
): ResolvedRateLimitOptions {
  const o = validateRateLimitOptions(options, path);
  return {
    requestsPerMinute: o.requestsPerMinute,
    tokensPerMinute: o.tokensPerMinute,
    estimateTokens: o.estimateTokens,
    countTokens: o.countTokens,
    increasePerSec: o.increasePerSec ?? RATE_LIMIT_DEFAULTS.increasePerSec,
    decreaseFactor: o.decreaseFactor ?? RATE_LIMIT_DEFAULTS.decreaseFactor,
    minRatePerSec: o.minRatePerSec ?? RATE_LIMIT_DEFAULTS.minRatePerSec,
    forgetAfterMs: o.forgetAfterMs ?? RATE_LIMIT_DEFAULTS.forgetAfterMs,
    backoffMs: o.backoffMs ?? RATE_LIMIT_DEFAULTS.backoffMs,
    maxWaitMs: o.maxWaitMs ?? RATE_LIMIT_DEFAULTS.maxWaitMs,
  };
}
