import type { ErrorKind } from './ErrorClassification.js';

/** The default decision for one {@link ErrorKind}: retry it or not, count it against the breaker or not. */
export interface ErrorDecision {
  /** Whether another attempt may succeed. */
  readonly retryable: boolean;
  /** Whether the failure says the service is unhealthy (counts towards opening the circuit breaker). */
  readonly breakerFailure: boolean;
}

const decision = (retryable: boolean, breakerFailure: boolean): ErrorDecision =>
  Object.freeze({ retryable, breakerFailure });

/**
 * The default decision for every error kind, the table in docs/errors.md. `classifyError`
 * starts from it; only an `x-should-retry` response header changes `retryable`.
 */
export const ERROR_DECISIONS: Readonly<Record<ErrorKind, ErrorDecision>> = Object.freeze({
  rate_limit: decision(true, false),
  quota: decision(false, false),
  server: decision(true, true),
  overloaded: decision(true, true),
  timeout: decision(true, true),
  connection: decision(true, true),
  context_length: decision(false, false),
  content_filter: decision(false, false),
  bad_request: decision(false, false),
  auth: decision(false, false),
  permission: decision(false, false),
  not_found: decision(false, false),
  conflict: decision(false, false),
  unprocessable: decision(false, false),
  invalid_output: decision(true, false),
  aborted: decision(false, false),
  unknown: decision(false, false),
});
