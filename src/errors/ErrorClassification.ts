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
  'invalid_output',
  'aborted',
  'unknown',
] as const;

/** What failed, as one word: `'rate_limit'`, `'quota'`, `'server'`, ... (see {@link ERROR_KINDS}). */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * Every SDK family whose errors the toolkit recognises by their shape: `openai` (also the
 * OpenAI-compatible servers reached through the openai client), `azure-openai`, `anthropic`,
 * `google` (`@google/genai`, Gemini API and Vertex AI), `vercel-ai` (the AI SDK's own errors),
 * `bedrock` (AWS Bedrock Runtime), `mistral` and `groq`.
 */
export const ERROR_PROVIDERS = [
  'openai',
  'azure-openai',
  'anthropic',
  'google',
  'vercel-ai',
  'bedrock',
  'mistral',
  'groq',
] as const;

/** The SDK family an error came from, as one word (see {@link ERROR_PROVIDERS}). */
export type ErrorProvider = (typeof ERROR_PROVIDERS)[number];

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
  /**
   * The API's error code, e.g. `rate_limit_exceeded`, `insufficient_quota`, a gRPC status name
   * such as `RESOURCE_EXHAUSTED` (Google), or an exception name such as `ThrottlingException`
   * (Bedrock).
   */
  code?: string;
  /** The API's error type, e.g. `requests`, `invalid_request_error`. */
  type?: string;
  /**
   * The server's request id (`x-request-id`, Anthropic's `request-id`, Bedrock's
   * `$metadata.requestId`), for support tickets.
   */
  requestId?: string;
  /** The server's wait hint in milliseconds, when it gave one. */
  retryAfterMs?: number;
  /** The SDK family the error came from, when its shape tells (absent for a plain error). */
  provider?: ErrorProvider;
  /** A short description, without prompt content or credentials. */
  message: string;
}
