import type { ErrorKind } from '../errors/ErrorClassification.js';
import { refuse } from '../validate.js';
import { ANTHROPIC_ERROR_KINDS, anthropicErrorReply } from './anthropicErrorReplies.js';
import { BEDROCK_ERROR_KINDS, bedrockErrorReply } from './bedrockErrorReplies.js';
import { GEMINI_ERROR_KINDS, geminiErrorReply } from './geminiErrorReplies.js';
import { openAIErrorBody, replies, type StatusReply } from './replies.js';
import { showValue } from './showValue.js';

/** The wire formats the test kit's error replies come in. */
export type WireFormat = 'openai' | 'anthropic' | 'google' | 'bedrock';

/** The kinds of failure that come as an HTTP error answer. */
export type HttpErrorKind = Exclude<
  ErrorKind,
  'timeout' | 'connection' | 'aborted' | 'invalid_output' | 'unknown'
>;

/** Options of {@link errorReplyFor}. */
export interface ErrorReplyOptions {
  /** For `rate_limit` only: the wait the server asks for; default 200 ms. */
  retryAfterMs?: number;
  /**
   * Whose API answers: `openai` (the default; also Azure OpenAI, Groq, Mistral and other
   * OpenAI-compatible servers), `anthropic`, `google` (Gemini API and Vertex AI) or `bedrock`.
   */
  provider?: WireFormat;
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

/** The kinds each wire format has an error answer for. */
export const ERROR_KINDS_BY_WIRE_FORMAT: Readonly<Record<WireFormat, readonly ErrorKind[]>> = {
  openai: HTTP_ERROR_KINDS,
  anthropic: ANTHROPIC_ERROR_KINDS,
  google: GEMINI_ERROR_KINDS,
  bedrock: BEDROCK_ERROR_KINDS,
};

type AnyKind = Parameters<typeof anthropicErrorReply>[0] &
  Parameters<typeof geminiErrorReply>[0] &
  Parameters<typeof bedrockErrorReply>[0];

const BY_WIRE_FORMAT: Readonly<
  Record<Exclude<WireFormat, 'openai'>, (kind: AnyKind, retryAfterMs?: number) => StatusReply>
> = {
  anthropic: anthropicErrorReply,
  google: geminiErrorReply,
  bedrock: (kind) => bedrockErrorReply(kind),
};

/**
 * The error answer an API gives for a kind of failure, with its realistic status, body and
 * headers: OpenAI's by default (`rate_limit`, `quota`, `server`, `overloaded`, `context_length`,
 * `auth`, `content_filter`, `bad_request`, `permission`, `not_found`, `conflict`,
 * `unprocessable`), or with `provider` Anthropic's, Gemini's or Bedrock's (the kinds of
 * {@link ERROR_KINDS_BY_WIRE_FORMAT}; Bedrock has `timeout` too). Throws a TypeError for a kind
 * the API does not answer with.
 */
export function errorReplyFor(
  kind: HttpErrorKind | 'timeout',
  options: ErrorReplyOptions = {},
): StatusReply {
  const { provider = 'openai' } = options;
  if (!Object.hasOwn(ERROR_KINDS_BY_WIRE_FORMAT, provider)) {
    const known = Object.keys(ERROR_KINDS_BY_WIRE_FORMAT).join(', ');
    refuse('errorReplyFor: provider', `one of ${known}`, provider, showValue);
  }
  const kinds = ERROR_KINDS_BY_WIRE_FORMAT[provider];
  if (!kinds.includes(kind)) {
    refuse(
      'errorReplyFor: kind',
      `one of ${kinds.join(', ')} for provider ${provider}`,
      kind,
      showValue,
    );
  }
  if (options.retryAfterMs !== undefined && kind !== 'rate_limit') {
    throw new TypeError(
      `errorReplyFor: retryAfterMs applies to kind 'rate_limit' only, got it with ${JSON.stringify(kind)}`,
    );
  }
  if (provider !== 'openai') {
    return BY_WIRE_FORMAT[provider](kind as AnyKind, options.retryAfterMs);
  }
  return FOR_KIND[kind as HttpErrorKind](options);
}
