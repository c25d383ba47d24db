import { breakerKind } from './breakerKind.js';
import { describeValue } from './describeValue.js';
import type { ErrorClassification } from './errors/ErrorClassification.js';
import { type RateLimitOptions, validateRateLimitOptions } from './rateLimit/rateLimitOptions.js';

/** The retry stage's options (`createPolicy({ retry })`). */
export interface RetryOptions {
  /** Retries after the first attempt: 3 means up to 4 attempts. An integer >= 0. */
  maxRetries: number;
  /** The scale of the decorrelated-jitter backoff: the median first delay, in ms. */
  initialDelayMs: number;
  /** The longest backoff, in ms (a server hint up to `maxRetryAfterMs` may wait longer). */
  maxDelayMs: number;
  /** A server hint (`retry-after`) longer than this, in ms, fails the call at once. May be Infinity. */
  maxRetryAfterMs: number;
  /**
   * Overrides the default decision (the classification's `retryable`). Called for every failed
   * attempt the policy could retry; return `true` to retry it.
   */
  shouldRetry?: (classification: ErrorClassification, error: unknown) => boolean;
}

/** The timeout stages' options (`createPolicy({ timeout })`); either may be left out or Infinity. */
export interface TimeoutOptions {
  /** The longest one attempt may take, in ms; it is then aborted and may be retried. */
  attemptMs?: number;
  /** The longest the whole call may take, retries and waits included, in ms. */
  totalMs?: number;
}

/** The hedging stage's options (`createPolicy({ hedge })`). */
export interface HedgeOptions {
  /**
   * How long an attempt may go unanswered before another attempt of the same request starts
   * beside it, in ms (0 starts them all at once). Pick about the p95 latency of a healthy call.
   */
  delayMs: number;
  /** Extra attempts a slow attempt may get, one every `delayMs`. An integer >= 1; default 1. */
  maxHedges?: number;
}

/** When the circuit breaker lets a trial call through after opening. */
export interface HalfOpenOptions {
  /** How long the breaker stays open the first time, in ms. */
  halfOpenAfterMs: number;
  /**
   * The open time doubles on each consecutive opening up to this, in ms. Default
   * `halfOpenAfterMs` (a constant open time).
   */
  maxHalfOpenAfterMs?: number;
}

/** A breaker that opens after a run of consecutive failures. */
export interface ConsecutiveBreakerOptions extends HalfOpenOptions {
  /** Consecutive breaker failures that open the circuit. An integer >= 1. */
  consecutiveFailures: number;
}

/** A breaker that opens when too large a share of recent calls fail. */
export interface SamplingBreakerOptions extends HalfOpenOptions {
  /** The share of failed calls, in (0, 1), above which the circuit opens. */
  failureRatio: number;
  /** Calls needed in the sampling window before the ratio counts. An integer >= 1. */
  minimumCalls: number;
  /** The sampling window, in ms. */
  samplingMs: number;
}

/** The circuit breaker's options (`createPolicy({ circuitBreaker })`). */
export type CircuitBreakerOptions = ConsecutiveBreakerOptions | SamplingBreakerOptions;

/** The bulkhead's options (`createPolicy({ bulkhead })`). */
export interface BulkheadOptions {
  /** Calls running at once. An integer >= 1. */
  maxConcurrent: number;
  /** Calls waiting for a slot; beyond that, calls are rejected. An integer >= 0, or Infinity. */
  maxQueued: number;
}

/**
 * Options of {@link createPolicy}. A stage left out or set to `false` is not in the pipeline.
 * Stage order, outermost first: bulkhead, total timeout, retry, hedging, rate-limit gate,
 * circuit breaker, attempt timeout.
 */
export interface PolicyOptions {
  /** Carried in every event as `policy`. Default `'policy'`. */
  name?: string;
  /** Retries failed attempts that are worth retrying. Default: no retry stage. */
  retry?: RetryOptions | false;
  /** Limits each attempt and the whole call. Default: no timeout stage. */
  timeout?: TimeoutOptions | false;
  /** Stops calling a failing service for a while. Default: no circuit breaker. */
  circuitBreaker?: CircuitBreakerOptions | false;
  /** Limits the calls running and waiting at once. Default: no bulkhead. */
  bulkhead?: BulkheadOptions | false;
  /**
   * Starts another attempt beside one that is slow to answer, and keeps the first success.
   * Each extra attempt is a request the server bills. Default: no hedging.
   */
  hedge?: HedgeOptions | false;
  /**
   * Paces calls after 429s and within fixed budgets, shared by every call of the policy.
   * Default: no rate-limit gate (`{}` turns on the adaptive gate alone).
   */
  rateLimit?: RateLimitOptions | false;
}

/** The longest delay `setTimeout` can wait (about 24.8 days); longer ones would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

type Check = (value: unknown) => string | undefined;

const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);

const count =
  (min: number): Check =>
  (v) =>
    isNumber(v) && Number.isInteger(v) && v >= min ? undefined : `an integer >= ${min}`;
const countOrInfinity =
  (min: number): Check =>
  (v) =>
    v === Number.POSITIVE_INFINITY || count(min)(v) === undefined
      ? undefined
      : `an integer >= ${min} or Infinity`;
const millis =
  (min: number): Check =>
  (v) =>
    isNumber(v) && v >= min && v <= MAX_TIMER_MS
      ? undefined
      : `a number of milliseconds ${min === 0 ? '>= 0' : '> 0'} and <= ${MAX_TIMER_MS}`;
/** A check for a duration in ms of at least `min`, up to {@link MAX_TIMER_MS}, or Infinity. */
export const millisOrInfinity =
  (min: number): Check =>
  (v) =>
    v === Number.POSITIVE_INFINITY || millis(min)(v) === undefined
      ? undefined
      : `a number of milliseconds ${min === 0 ? '>= 0' : '> 0'}, or Infinity`;
const ratio: Check = (v) =>
  isNumber(v) && v > 0 && v < 1 ? undefined : 'a number between 0 and 1 (exclusive)';
const aFunction: Check = (v) => (typeof v === 'function' ? undefined : 'a function');

/** A check per field; `optional` fields may be left out. */
export type Schema = Record<string, { check: Check; optional?: boolean }>;

const RETRY: Schema = {
  maxRetries: { check: count(0) },
  initialDelayMs: { check: millis(0) },
  maxDelayMs: { check: millis(0) },
  maxRetryAfterMs: { check: millisOrInfinity(0) },
  shouldRetry: { check: aFunction, optional: true },
};
const TIMEOUT: Schema = {
  attemptMs: { check: millisOrInfinity(1), optional: true },
  totalMs: { check: millisOrInfinity(1), optional: true },
};
const HALF_OPEN: Schema = {
  halfOpenAfterMs: { check: millis(1) },
  maxHalfOpenAfterMs: { check: millis(1), optional: true },
};
const CONSECUTIVE: Schema = { ...HALF_OPEN, consecutiveFailures: { check: count(1) } };
const SAMPLING: Schema = {
  ...HALF_OPEN,
  failureRatio: { check: ratio },
  minimumCalls: { check: count(1) },
  samplingMs: { check: millis(1) },
};
const BULKHEAD: Schema = {
  maxConcurrent: { check: count(1) },
  maxQueued: { check: countOrInfinity(0) },
};
const HEDGE: Schema = {
  delayMs: { check: millis(0) },
  maxHedges: { check: count(1), optional: true },
};
const STAGES = ['retry', 'timeout', 'circuitBreaker', 'bulkhead', 'hedge', 'rateLimit'] as const;
const TOP_LEVEL = ['name', ...STAGES];

function fail(path: string, expected: string, value: unknown): never {
  throw new TypeError(`${path} must be ${expected}, got ${describeValue(value)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one stage's options against `schema`: a TypeError names an unknown or bad field. */
export function checkStage(path: string, value: unknown, schema: Schema): Record<string, unknown> {
  if (!isPlainObject(value)) fail(path, 'an object or false', value);
  for (const [key, field] of Object.entries(value)) {
    if (!Object.hasOwn(schema, key)) {
      throw new TypeError(
        `${path}.${key} is not a ${path} option (known: ${Object.keys(schema).join(', ')}), got ${describeValue(field)}`,
      );
    }
  }
  for (const [key, { check, optional }] of Object.entries(schema)) {
    const field = value[key];
    if (field === undefined && optional === true) continue;
    const expected = check(field);
    if (expected !== undefined) fail(`${path}.${key}`, expected, field);
  }
  return value;
}

/** Throws unless `low <= high`, naming `blamed`: the option whose value is reported. */
export function checkOrder(
  lowPath: string,
  low: number,
  highPath: string,
  high: number,
  blamed: 'low' | 'high',
): void {
  if (low <= high) return;
  throw new TypeError(
    blamed === 'high'
      ? `${highPath} must be >= ${lowPath} (${low}), got ${high}`
      : `${lowPath} must be <= ${highPath} (${high}), got ${low}`,
  );
}

function checkBreaker(value: unknown): void {
  if (!isPlainObject(value)) fail('circuitBreaker', 'an object or false', value);
  const sampling = breakerKind(value) === 'sampling';
  const options = checkStage('circuitBreaker', value, sampling ? SAMPLING : CONSECUTIVE);
  if (options.maxHalfOpenAfterMs !== undefined) {
    checkOrder(
      'circuitBreaker.halfOpenAfterMs',
      options.halfOpenAfterMs as number,
      'circuitBreaker.maxHalfOpenAfterMs',
      options.maxHalfOpenAfterMs as number,
      'high',
    );
  }
}

/**
 * Checks policy options and returns them unchanged. Throws a TypeError naming the option path
 * (e.g. `retry.maxRetries`) and the value given for an unknown option (also inside a stage), a
 * missing or mistyped value, a negative, NaN, non-integer or infinite-where-not-allowed number,
 * `bulkhead.maxConcurrent` 0, `timeout.attemptMs` > `timeout.totalMs`,
 * `retry.maxDelayMs` < `retry.initialDelayMs` or `hedge.delayMs` >= `timeout.attemptMs` (the
 * attempt would time out before its hedge started).
 */
export function validatePolicyOptions(options: unknown): PolicyOptions {
  if (!isPlainObject(options)) fail('options', 'an object', options);
  for (const [key, value] of Object.entries(options)) {
    if (!TOP_LEVEL.includes(key)) {
      throw new TypeError(
        `${key} is not a policy option (known: ${TOP_LEVEL.join(', ')}), got ${describeValue(value)}`,
      );
    }
  }
  if (options.name !== undefined && typeof options.name !== 'string') {
    fail('name', 'a string', options.name);
  }
  const { retry, timeout, circuitBreaker, bulkhead, hedge, rateLimit } = options;
  if (retry !== undefined && retry !== false) {
    const r = checkStage('retry', retry, RETRY);
    const { initialDelayMs, maxDelayMs } = r as { initialDelayMs: number; maxDelayMs: number };
    checkOrder('retry.initialDelayMs', initialDelayMs, 'retry.maxDelayMs', maxDelayMs, 'high');
  }
  if (timeout !== undefined && timeout !== false) {
    const t = checkStage('timeout', timeout, TIMEOUT);
    if (typeof t.attemptMs === 'number' && typeof t.totalMs === 'number') {
      checkOrder('timeout.attemptMs', t.attemptMs, 'timeout.totalMs', t.totalMs, 'low');
    }
  }
  if (circuitBreaker !== undefined && circuitBreaker !== false) checkBreaker(circuitBreaker);
  if (bulkhead !== undefined && bulkhead !== false) checkStage('bulkhead', bulkhead, BULKHEAD);
  if (hedge !== undefined && hedge !== false) {
    const { delayMs } = checkStage('hedge', hedge, HEDGE) as { delayMs: number };
    const attemptMs = isPlainObject(timeout) ? timeout.attemptMs : undefined;
    if (typeof attemptMs === 'number' && delayMs >= attemptMs) {
      throw new TypeError(
        `hedge.delayMs must be < timeout.attemptMs (${attemptMs}), got ${delayMs}: the attempt would time out before its hedge started`,
      );
    }
  }
  if (rateLimit !== undefined && rateLimit !== false) validateRateLimitOptions(rateLimit);
  return options as PolicyOptions;
}
