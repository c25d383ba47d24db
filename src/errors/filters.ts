import { handleWhen, type Policy } from 'cockatiel';
import { classifyError } from './classifyError.js';

/**
 * Whether another attempt may succeed after `error`, by {@link classifyError}: rate
 * limits, 5xx, overload, timeouts, connection failures and a model's answer that is not valid
 * JSON yes; quota, 4xx, aborts and unknown errors no (`x-should-retry` overrides).
 */
export function isRetryableOpenAIError(error: unknown): boolean {
  return classifyError(error).retryable;
}

/** Whether `error` says the service is unhealthy, by {@link classifyError}. */
export function isBreakerOpenAIError(error: unknown): boolean {
  return classifyError(error).breakerFailure;
}

/**
 * A cockatiel filter that handles the errors worth retrying, for your own policies:
 * `retry(retryableOpenAIErrors, { maxAttempts: 3, backoff: new ExponentialBackoff() })`.
 */
export const retryableOpenAIErrors: Policy = handleWhen(isRetryableOpenAIError);

/**
 * A cockatiel filter that handles the errors that count against a circuit breaker (5xx,
 * overload, timeouts, connection failures; not rate limits or 4xx):
 * `circuitBreaker(breakerOpenAIErrors, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) })`.
 */
export const breakerOpenAIErrors: Policy = handleWhen(isBreakerOpenAIError);
