import { newId } from './openAIBodies.js';
import { replies, type StatusReply } from './replies.js';

/** The kinds of failure Anthropic's Messages API answers with an HTTP error. */
export type AnthropicErrorKind =
  | 'rate_limit'
  | 'quota'
  | 'server'
  | 'overloaded'
  | 'context_length'
  | 'auth'
  | 'bad_request'
  | 'permission'
  | 'not_found';

/** The body Anthropic sends with an error (see {@link anthropicErrorBody}). */
export interface AnthropicErrorBody {
  /** Always `'error'`. */
  type: 'error';
  /** What failed. */
  error: {
    /** `overloaded_error`, `rate_limit_error`, `invalid_request_error`, ... */
    type: string;
    /** The server's text. */
    message: string;
  };
  /** The request's id, as in the `request-id` header. */
  request_id: string;
}

/** The body Anthropic sends with an error: `{ type: 'error', error: { type, message }, request_id }`. */
export function anthropicErrorBody(
  type: string,
  message: string,
  requestId = newId('req_'),
): AnthropicErrorBody {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

/** An RFC 3339 time `ms` from now, as in `anthropic-ratelimit-*-reset`, to the second (rounded up). */
function resetAt(ms: number): string {
  return new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function reply(status: number, type: string, message: string, headers = {}): StatusReply {
  const requestId = newId('req_');
  return replies.status(status, anthropicErrorBody(type, message, requestId), {
    'request-id': requestId,
    ...headers,
  });
}

const FOR_KIND = {
  rate_limit: (retryAfterMs) =>
    reply(
      429,
      'rate_limit_error',
      'This request would exceed the rate limit for your organization of 50 requests per minute.',
      {
        'retry-after': String(Math.ceil(retryAfterMs / 1000)),
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': resetAt(retryAfterMs),
        'anthropic-ratelimit-tokens-limit': '40000',
        'anthropic-ratelimit-tokens-remaining': '38000',
        'anthropic-ratelimit-tokens-reset': resetAt(60_000),
      },
    ),
  quota: () =>
    reply(
      400,
      'invalid_request_error',
      'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
    ),
  server: () => reply(500, 'api_error', 'Internal server error'),
  overloaded: () => reply(529, 'overloaded_error', 'Overloaded'),
  context_length: () =>
    reply(400, 'invalid_request_error', 'prompt is too long: 215000 tokens > 200000 maximum'),
  auth: () => reply(401, 'authentication_error', 'invalid x-api-key'),
  bad_request: () => reply(400, 'invalid_request_error', 'max_tokens: Field required'),
  permission: () =>
    reply(
      403,
      'permission_error',
      'Your API key does not have permission to use the specified resource.',
    ),
  not_found: () => reply(404, 'not_found_error', 'model: claude-nonexistent'),
} satisfies Record<AnthropicErrorKind, (retryAfterMs: number) => StatusReply>;

/** The kinds {@link anthropicErrorReply} knows. */
export const ANTHROPIC_ERROR_KINDS = Object.keys(FOR_KIND) as AnthropicErrorKind[];

/**
 * The error answer Anthropic's API gives for a kind of failure, with its status, body
 * (`{ type: 'error', error: { type, message } }`) and headers (`request-id`; for `rate_limit`
 * `retry-after` in whole seconds and the `anthropic-ratelimit-*` headers, the requests limit
 * exhausted and reset `retryAfterMs`
 * from now, default 200 ms, rounded up to the second). `quota` is the 400 of an empty credit balance,
 * `context_length` the 400 "prompt is too long".
 */
export function anthropicErrorReply(kind: AnthropicErrorKind, retryAfterMs = 200): StatusReply {
  return FOR_KIND[kind](retryAfterMs);
}
