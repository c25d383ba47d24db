import type { ErrorClassification } from '../errors/ErrorClassification.js';
import { type RateLimitOptions, validateRateLimitOptions } from '../rateLimit/rateLimitOptions.js';
import {
  aFunction,
  aString,
  atLeastZero,
  checkObject,
  checkOrder,
  checkValue,
  count,
  countOrInfinity,
  isPlainObject,
  millis,
  millisOrInfinity,
  ratio,
  type Schema,
} from '../validate.js';
import { breakerKind } from './breakerKind.js';
import type { RetryBudgetStore } from './RetryBudget.js';

export { MAX_TIMER_MS } from '../validate.js';

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

/**
 * A retry budget's options (`createPolicy({ retryBudget })`, `llmRetry({ budget })`): retries
 * allowed within any `windowMs` are `percent` % of the calls in it plus `minPerSec` a second.
 */
export interface RetryBudgetOptions {
  /** Retries allowed as a share of the calls in the window, in percent (20 is one in five). */
  percent: number;
  /** Retries allowed a second whatever the traffic, so quiet traffic still retries. */
  minPerSec: number;
  /** The window calls and retries are counted over, in ms. */
  windowMs: number;
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
  /**
   * Bounds the retries of the retry stage to a share of the calls: options (each defaulting to
   * `RETRY_BUDGET_DEFAULTS`, `{}` for all of them) or a {@link RetryBudgetStore} shared with other
   * policies. Unused without `retry`. Default: no budget.
   */
  retryBudget?: Partial<RetryBudgetOptions> | RetryBudgetStore | false;
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

const RETRY: Schema = {
  maxRetries: { check: count(0) },
  initialDelayMs: { check: millis(0) },
  maxDelayMs: { check: millis(0) },
  maxRetryAfterMs: { check: millisOrInfinity(0) },
  shouldRetry: { check: aFunction, optional: true },
};
const RETRY_BUDGET: Schema = {
  percent: { check: atLeastZero, optional: true },
  minPerSec: { check: atLeastZero, optional: true },
  windowMs: { check: millis(1), optional: true },
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
const STAGES = [
  'retry',
  'retryBudget',
  'timeout',
  'circuitBreaker',
  'bulkhead',
  'hedge',
  'rateLimit',
] as const;
const TOP_LEVEL: Schema = {
  name: { check: aString, optional: true },
  ...Object.fromEntries(STAGES.map((stage) => [stage, { check: () => undefined, optional: true }])),
};

/** Checks one stage's options against `schema`: a TypeError names an unknown or bad field. */
export function checkStage(path: string, value: unknown, schema: Schema): Record<string, unknown> {
  return checkObject(value, schema, {
    path,
    expected: 'an object or false',
    noun: `a ${path} option`,
  });
}

/** Checks the retry stage's options (a TypeError names a bad one) and returns them. */
export function checkRetryOptions(value: unknown): RetryOptions {
  const r = checkStage('retry', value, RETRY) as unknown as RetryOptions;
  checkOrder('retry.initialDelayMs', r.initialDelayMs, 'retry.maxDelayMs', r.maxDelayMs, 'high');
  return r;
}

/**
 * Checks a retry budget given at `path` (default `retryBudget`): a {@link RetryBudgetStore} (an
 * object with `tryWithdraw` and `deposit` functions) or options, each a finite number >= 0
 * (`windowMs` > 0, up to a timer's longest). A TypeError names a bad one and its value.
 */
export function checkRetryBudget(
  value: unknown,
  path = 'retryBudget',
): Partial<RetryBudgetOptions> | RetryBudgetStore {
  if (isPlainObject(value) && typeof value.tryWithdraw === 'function') {
    checkValue(`${path}.deposit`, value.deposit, aFunction);
    return value as unknown as RetryBudgetStore;
  }
  return checkObject(value, RETRY_BUDGET, {
    path,
    expected: 'an object, a RetryBudgetStore or false',
    noun: 'a retry budget option',
  }) as Partial<RetryBudgetOptions>;
}

/** Checks the timeout stages' options (a TypeError names a bad one) and returns them. */
export function checkTimeoutOptions(value: unknown): TimeoutOptions {
  const t = checkStage('timeout', value, TIMEOUT) as TimeoutOptions;
  if (typeof t.attemptMs === 'number' && typeof t.totalMs === 'number') {
    checkOrder('timeout.attemptMs', t.attemptMs, 'timeout.totalMs', t.totalMs, 'low');
  }
  return t;
}

/** Checks the circuit breaker's options (a TypeError names a bad one) and returns them. */
export function checkBreakerOptions(value: unknown): CircuitBreakerOptions {
  if (!isPlainObject(value)) checkStage('circuitBreaker', value, CONSECUTIVE);
  const sampling = breakerKind(value as Record<string, unknown>) === 'sampling';
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
  return options as unknown as CircuitBreakerOptions;
}

/** Checks the bulkhead's options (a TypeError names a bad one) and returns them. */
export function checkBulkheadOptions(value: unknown): BulkheadOptions {
  return checkStage('bulkhead', value, BULKHEAD) as unknown as BulkheadOptions;
}

/**
 * Checks the hedging stage's options (a TypeError names a bad one) and returns them; with the
 * `attemptMs` of the attempt timeout inside, `delayMs` must be shorter (the attempt would time
 * out before its hedge started).
 */
export function checkHedgeOptions(value: unknown, attemptMs?: unknown): HedgeOptions {
  const hedge = checkStage('hedge', value, HEDGE) as unknown as HedgeOptions;
  const { delayMs } = hedge;
  if (typeof attemptMs === 'number' && delayMs >= attemptMs) {
    throw new TypeError(
      `hedge.delayMs must be < timeout.attemptMs (${attemptMs}), got ${delayMs}: the attempt would time out before its hedge started`,
    );
  }
  return hedge;
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
  const o = checkObject(options, TOP_LEVEL, {
    path: 'options',
    noun: 'a policy option',
    field: (key) => key,
  });
  const given = (stage: unknown): boolean => stage !== undefined && stage !== false;
  const { retry, retryBudget, timeout, circuitBreaker, bulkhead, hedge, rateLimit } = o;
  if (given(retry)) checkRetryOptions(retry);
  if (given(retryBudget)) checkRetryBudget(retryBudget);
  if (given(timeout)) checkTimeoutOptions(timeout);
  if (given(circuitBreaker)) checkBreakerOptions(circuitBreaker);
  if (given(bulkhead)) checkBulkheadOptions(bulkhead);
  if (given(hedge))
    checkHedgeOptions(hedge, isPlainObject(timeout) ? timeout.attemptMs : undefined);
  if (given(rateLimit)) validateRateLimitOptions(rateLimit);
  return options as PolicyOptions;
}
