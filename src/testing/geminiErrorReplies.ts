import type { AnthropicErrorKind } from './anthropicErrorReplies.js';
import { replies, type StatusReply } from './replies.js';

/** The kinds of failure the Gemini API answers with an HTTP error: the same as Anthropic's. */
export type GeminiErrorKind = AnthropicErrorKind;

/** One entry of a Google error's `details`: `@type` names it (`google.rpc.RetryInfo`, ...). */
export type GoogleErrorDetail = Record<string, unknown>;

/** The body Google APIs send with an error (see {@link geminiErrorBody}). */
export interface GeminiErrorBody {
  /** What failed. */
  error: {
    /** The HTTP status. */
    code: number;
    /** The server's text. */
    message: string;
    /** The gRPC status name: `RESOURCE_EXHAUSTED`, `UNAVAILABLE`, `INVALID_ARGUMENT`, ... */
    status: string;
    /** `RetryInfo`, `QuotaFailure`, `ErrorInfo` and other entries, when there are any. */
    details?: GoogleErrorDetail[];
  };
}

/** The body Google APIs send with an error: `{ error: { code, message, status, details } }`. */
export function geminiErrorBody(
  code: number,
  status: string,
  message: string,
  details: GoogleErrorDetail[] = [],
): GeminiErrorBody {
  return { error: { code, message, status, ...(details.length > 0 ? { details } : {}) } };
}

/** A `google.rpc.QuotaFailure` naming one quota, e.g. `GenerateRequestsPerDayPerProjectPerModel`. */
function quotaFailure(quotaId: string, quotaValue: string): GoogleErrorDetail {
  return {
    '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
    violations: [
      {
        quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
        quotaId,
        quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' },
        quotaValue,
      },
    ],
  };
}

/** A `google.rpc.RetryInfo` asking for `ms`, written as Google writes durations (`"34.4s"`). */
function retryInfo(ms: number): GoogleErrorDetail {
  return {
    '@type': 'type.googleapis.com/google.rpc.RetryInfo',
    retryDelay: `${Number((ms / 1000).toFixed(3))}s`,
  };
}

const EXHAUSTED =
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.';

const FOR_KIND = {
  rate_limit: (retryAfterMs) =>
    replies.status(
      429,
      geminiErrorBody(429, 'RESOURCE_EXHAUSTED', EXHAUSTED, [
        quotaFailure('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', '10'),
        retryInfo(retryAfterMs),
      ]),
    ),
  quota: (retryAfterMs) =>
    replies.status(
      429,
      geminiErrorBody(429, 'RESOURCE_EXHAUSTED', EXHAUSTED, [
        quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier', '250'),
        retryInfo(retryAfterMs),
      ]),
    ),
  server: () =>
    replies.status(
      500,
      geminiErrorBody(500, 'INTERNAL', 'An internal error has occurred. Please retry or report.'),
    ),
  overloaded: () =>
    replies.status(
      503,
      geminiErrorBody(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'),
    ),
  context_length: () =>
    replies.status(
      400,
      geminiErrorBody(
        400,
        'INVALID_ARGUMENT',
        'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).',
      ),
    ),
  auth: () =>
    replies.status(
      400,
      geminiErrorBody(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
          domain: 'googleapis.com',
        },
      ]),
    ),
  bad_request: () =>
    replies.status(
      400,
      geminiErrorBody(
        400,
        'INVALID_ARGUMENT',
        'Invalid JSON payload received. Unknown name "temprature": Cannot find field.',
      ),
    ),
  permission: () =>
    replies.status(
      403,
      geminiErrorBody(403, 'PERMISSION_DENIED', 'The caller does not have permission'),
    ),
  not_found: () =>
    replies.status(
      404,
      geminiErrorBody(
        404,
        'NOT_FOUND',
        'models/gemini-nonexistent is not found for API version v1beta, or is not supported for generateContent.',
      ),
    ),
} satisfies Record<GeminiErrorKind, (retryAfterMs: number) => StatusReply>;

/** The kinds {@link geminiErrorReply} knows. */
export const GEMINI_ERROR_KINDS = Object.keys(FOR_KIND) as GeminiErrorKind[];

/**
 * The error answer the Gemini API gives for a kind of failure, with its status and body
 * (`{ error: { code, message, status, details } }`, gRPC status names): `rate_limit` is a 429
 * `RESOURCE_EXHAUSTED` whose `QuotaFailure` names a per-minute quota and whose `RetryInfo` asks
 * for `retryAfterMs` (default 200 ms), `quota` the same for a per-day quota, `auth` the 400
 * `API_KEY_INVALID`, `context_length` the 400 on too many input tokens.
 */
export function geminiErrorReply(kind: GeminiErrorKind, retryAfterMs = 200): StatusReply {
  return FOR_KIND[kind](retryAfterMs);
}
