/**
 * Every kind of failure the toolkit tells apart. The decision that follows from each kind
 * (retry or not, count against the circuit breaker or not) is in docs/errors.md.
 */
export const ERROR_KINDS = [
  'rate_limit',
  'quota',
  'server',
  'overloaded',
  'timeout',
  'connection',
  'context_length',
  'content_filter',
  'bad_request',
  'auth',
  'permission',
  'not_found',
  'conflict',
  'unprocessable',
  'aborted',
  'unknown',
] as const;

/** What failed, as one word: `'rate_limit'`, `'quota'`, `'server'`, ... (see {@link ERROR_KINDS}). */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * What the toolkit learned from an error: a plain, JSON-serialisable object, safe to log.
 * It never holds header values other than those its fields name: no Authorization header,
 * no API key, no request body.
 */
export interface ErrorClassification {
  /** What failed. */
  kind: ErrorKind;
  /** Whether another attempt may succeed. */
  retryable: boolean;
  /** Whether the failure says the service is unhealthy, so it counts towards opening the circuit breaker. */
  breakerFailure: boolean;
  /** HTTP status, when the error came from an HTTP response. */
  status?: number;
  /** The API's error code, e.g. `rate_limit_exceeded`, `insufficient_quota`. */
  code?: string;
  /** The API's error type, e.g. `requests`, `invalid_request_error`. */
  type?: string;
  /** The server's request id (`x-request-id`), for support tickets. */
  requestId?: string;
  /** The server's wait hint in milliseconds, when it gave one. */
  retryAfterMs?: number;
  /** A short description, without prompt content or credentials. */
  message: string;
}
