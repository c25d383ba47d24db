/**
 * Errors shaped like `@anthropic-ai/sdk`'s own: same class names and hierarchy (rooted in
 * `AnthropicError`), same own fields (`status`, `headers` as WHATWG Headers, `requestID` from
 * the `request-id` header, `error` holding the whole body, `type`), same messages. `chaos`
 * throws them with `provider: 'anthropic'`.
 */
import { apiErrorMessage } from './sdkShapedErrors.js';

/** Like the SDK's `AnthropicError`: the root of its errors. */
export class AnthropicError extends Error {}

/** Like the SDK's `APIError`: an error answer from the API (or a transport failure, without status). */
export class APIError extends AnthropicError {
  /** The HTTP status; `undefined` for a transport failure, an abort or an SSE error event. */
  readonly status: number | undefined;
  /** The response headers; `undefined` without a response. */
  readonly headers: Headers | undefined;
  /** The `request-id` header. */
  readonly requestID: string | null | undefined;
  /** The whole error body: `{ type: 'error', error: { type, message } }`. */
  readonly error: unknown;
  /** `error.type` of the body, e.g. `overloaded_error`. */
  readonly type: string | null;

  constructor(
    status: number | undefined,
    error: unknown,
    message: string | undefined,
    headers: Headers | undefined,
  ) {
    super(apiErrorMessage(status, error, message));
    this.name = new.target.name;
    this.status = status;
    this.headers = headers;
    this.requestID = headers?.get('request-id');
    this.error = error;
    const inner = (error as { error?: { type?: unknown } } | undefined)?.error;
    this.type = typeof inner?.type === 'string' ? inner.type : null;
  }
}

/** Like the SDK's `APIUserAbortError`: the caller aborted the request. */
export class APIUserAbortError extends APIError {
  constructor() {
    super(undefined, undefined, 'Request was aborted.', undefined);
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
  constructor() {
    super({ message: 'Request timed out.' });
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
/** Like the SDK's `RateLimitError` (429). */
export class RateLimitError extends APIError {}
/** Like the SDK's `InternalServerError` (5xx). */
export class InternalServerError extends APIError {}
/** Like the SDK's `OverloadedError` (529). */
export class OverloadedError extends InternalServerError {}

const CLASS_BY_STATUS: ReadonlyMap<number, typeof APIError> = new Map([
  [400, BadRequestError],
  [401, AuthenticationError],
  [403, PermissionDeniedError],
  [404, NotFoundError],
  [429, RateLimitError],
  [529, OverloadedError],
]);

/** The error `@anthropic-ai/sdk` throws for an HTTP answer with `status`, JSON `body` and `headers`. */
export function anthropicErrorForResponse(
  status: number,
  body: unknown,
  headers: Headers,
): APIError {
  const ErrorClass =
    CLASS_BY_STATUS.get(status) ?? (status >= 500 ? InternalServerError : APIError);
  return new ErrorClass(status, body, undefined, headers);
}
