/**
 * Errors shaped like the openai SDK's own (v5 to v7): same class names and hierarchy, same own
 * fields (`status`, `headers` as WHATWG Headers, `requestID`, `error`, `code`, `param`, `type`),
 * same messages. `chaos` throws them, so code that looks at an error's shape (as
 * `classifyOpenAIError` does) cannot tell them from the real thing; `instanceof` checks against
 * the openai package's classes do not match them.
 */

/**
 * The message the Stainless SDKs (openai, Anthropic) give an API error: `429 <body message>`,
 * the body as JSON when it has no message, `429 status code (no body)` without a body.
 */
export function apiErrorMessage(status: number | undefined, error: unknown, message?: string) {
  const inner = (error as { message?: unknown } | undefined)?.message;
  const text = inner
    ? typeof inner === 'string'
      ? inner
      : JSON.stringify(inner)
    : error
      ? JSON.stringify(error)
      : message;
  if (status && text) return `${status} ${text}`;
  if (status) return `${status} status code (no body)`;
  return text || '(no status code or body)';
}

/** Like the SDK's `OpenAIError`: the root of its errors. */
export class OpenAIError extends Error {}

/** Like the SDK's `APIError`: an error answer from the API (or a transport failure, without status). */
export class APIError extends OpenAIError {
  /** The HTTP status; `undefined` for a transport failure or an abort. */
  readonly status: number | undefined;
  /** The response headers; `undefined` without a response. */
  readonly headers: Headers | undefined;
  /** The `x-request-id` header; `null` when the response had none, `undefined` without a response. */
  readonly requestID: string | null | undefined;
  /** The `error` object of the response body, as the API sent it. */
  readonly error: unknown;
  /** `error.code` of the body, e.g. `rate_limit_exceeded`. */
  readonly code: string | null | undefined;
  /** `error.param` of the body: the request field at fault, if any. */
  readonly param: string | null | undefined;
  /** `error.type` of the body, e.g. `invalid_request_error`. */
  readonly type: string | undefined;

  constructor(
    status: number | undefined,
    error: unknown,
    message: string | undefined,
    headers: Headers | undefined,
  ) {
    super(apiErrorMessage(status, error, message));
    this.status = status;
    this.headers = headers;
    this.requestID = headers?.get('x-request-id');
    this.error = error;
    const data = error as Record<string, unknown> | undefined;
    this.code = data?.code as string | null | undefined;
    this.param = data?.param as string | null | undefined;
    this.type = data?.type as string | undefined;
  }
}

/** Like the SDK's `APIUserAbortError`: the caller aborted the request. */
export class APIUserAbortError extends APIError {
  constructor({ message }: { message?: string } = {}) {
    super(undefined, undefined, message || 'Request was aborted.', undefined);
  }
}

/** Like the SDK's `APIConnectionError`: the request never got an answer. */
export class APIConnectionError extends APIError {
  constructor({ message, cause }: { message?: string; cause?: Error } = {}) {
    super(undefined, undefined, message || 'Connection error.', undefined);
    if (cause) this.cause = cause;
  }
}

/** Like the SDK's `APIConnectionTimeoutError`: the SDK's own request timeout fired. */
export class APIConnectionTimeoutError extends APIConnectionError {
  constructor({ message }: { message?: string } = {}) {
    super({ message: message ?? 'Request timed out.' });
  }
}

/** Like the SDK's `BadRequestError` (400). */
export class BadRequestError extends APIError {}
/** Like the SDK's `AuthenticationError` (401). */
export class AuthenticationError extends APIError {}
/** Like the SDK's `PermissionDeniedError` (403). */
export class PermissionDeniedError extends APIError {}
/** Like the SDK's `NotFoundError` (404). */
export class NotFoundError extends APIError {}
/** Like the SDK's `ConflictError` (409). */
export class ConflictError extends APIError {}
/** Like the SDK's `UnprocessableEntityError` (422). */
export class UnprocessableEntityError extends APIError {}
/** Like the SDK's `RateLimitError` (429). */
export class RateLimitError extends APIError {}
/** Like the SDK's `InternalServerError` (5xx). */
export class InternalServerError extends APIError {}

const CLASS_BY_STATUS: ReadonlyMap<number, typeof APIError> = new Map([
  [400, BadRequestError],
  [401, AuthenticationError],
  [403, PermissionDeniedError],
  [404, NotFoundError],
  [409, ConflictError],
  [422, UnprocessableEntityError],
  [429, RateLimitError],
]);

/**
 * The error the SDK throws for an HTTP answer with `status`, JSON `body` and `headers`, as its
 * `APIError.generate` builds it.
 */
export function sdkErrorForResponse(status: number, body: unknown, headers: Headers): APIError {
  const error = (body as { error?: unknown } | null | undefined)?.error;
  const ErrorClass =
    CLASS_BY_STATUS.get(status) ?? (status >= 500 ? InternalServerError : APIError);
  return new ErrorClass(status, error, undefined, headers);
}
