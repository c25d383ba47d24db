import type { ErrorKind } from '../errors/ErrorClassification.js';
import { openAIErrorBody, replies, type StatusReply } from './replies.js';

/** The kinds of failure that come as an HTTP error answer. */
export type HttpErrorKind = Exclude<
  ErrorKind,
  'timeout' | 'connection' | 'aborted' | 'invalid_output' | 'unknown'
>;

/** Options of {@link errorReplyFor}. */
export interface ErrorReplyOptions {
  /** For `rate_limit` only: the wait the server asks for; default 200 ms. */
  retryAfterMs?: number;
}

const FOR_KIND: Readonly<Record<HttpErrorKind, (options: ErrorReplyOptions) => StatusReply>> = {
  rate_limit: (options) => replies.rateLimit(options),
  quota: () => replies.quota(),
  server: () => replies.serverError(),
  overloaded: () => replies.overloaded(),
  context_length: () => replies.contextLength(),
  auth: () => replies.unauthorized(),
  content_filter: () =>
    replies.status(
      400,
      openAIErrorBody(
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        'invalid_request_error',
        'content_filter',
        'prompt',
      ),
    ),
  bad_request: () =>
    replies.status(
      400,
      openAIErrorBody(
        "Invalid value for 'temperature': expected a number.",
        'invalid_request_error',
        'invalid_type',
        'temperature',
      ),
    ),
  permission: () =>
    replies.status(
      403,
      openAIErrorBody(
        'You are not allowed to sample from this model',
        'invalid_request_error',
        null,
      ),
    ),
  not_found: () =>
    replies.status(
      404,
      openAIErrorBody(
        'The model does not exist or you do not have access to it.',
        'invalid_request_error',
        'model_not_found',
      ),
    ),
  conflict: () =>
    replies.status(
      409,
      openAIErrorBody(
        'Another run is already active on this thread.',
        'invalid_request_error',
        null,
      ),
    ),
  unprocessable: () =>
    replies.status(422, openAIErrorBody('Unprocessable entity.', 'invalid_request_error', null)),
};

/** The kinds {@link errorReplyFor} knows. */
export const HTTP_ERROR_KINDS = Object.keys(FOR_KIND) as HttpErrorKind[];

/**
 * The error answer OpenAI gives for a kind of failure (`rate_limit`, `quota`, `server`,
 * `overloaded`, `context_length`, `auth`, `content_filter`, `bad_request`, `permission`,
 * `not_found`, `conflict`, `unprocessable`), with its realistic status, body and headers.
 * Throws a TypeError for another kind.
 */
export function errorReplyFor(kind: HttpErrorKind, options: ErrorReplyOptions = {}): StatusReply {
  if (!Object.hasOwn(FOR_KIND, kind)) {
    throw new TypeError(
      `errorReplyFor: kind must be one of ${HTTP_ERROR_KINDS.join(', ')}, got ${JSON.stringify(kind)}`,
    );
  }
  if (options.retryAfterMs !== undefined && kind !== 'rate_limit') {
    throw new TypeError(
      `errorReplyFor: retryAfterMs applies to kind 'rate_limit' only, got it with ${JSON.stringify(kind)}`,
    );
  }
  return FOR_KIND[kind](options);
}
