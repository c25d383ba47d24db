import type { ErrorClassification, ErrorKind } from './ErrorClassification.js';
import { ERROR_DECISIONS } from './errorDecisions.js';
import {
  causeChain,
  constructorName,
  type HttpErrorParts,
  isErrorLike,
  readField,
  readHeader,
  readHttpParts,
  readString,
} from './errorShape.js';
import { kindInMessage } from './messageKind.js';
import { networkErrorKind } from './networkErrorKind.js';
import { waitHint } from './retryAfter.js';
import { safeText } from './safeText.js';

/** Options of {@link classifyError}. */
export interface ClassifyOptions {
  /**
   * The abort signal the failed call ran with. When it was aborted with a timeout as its reason
   * (the toolkit's `TimeoutError`, `AbortSignal.timeout()`), an abort error counts as `timeout`
   * even if the SDK did not keep the reason as the error's `cause` (openai 4 to 6 do not).
   * When the error is the signal's own reason (what `execute` rejects with when the caller
   * aborts), it counts as `aborted` whatever value the caller aborted with.
   */
  signal?: AbortSignal | undefined;
}

/** API codes and types (error body `code`, then `type`) and the kind each one means. */
const KIND_BY_CODE: ReadonlyMap<string | undefined, ErrorKind> = new Map([
  ['insufficient_quota', 'quota'],
  ['credit_balance_exhausted', 'quota'],
  ['billing_hard_limit_reached', 'quota'],
  ['rate_limit_exceeded', 'rate_limit'],
  ['rate_limit_error', 'rate_limit'],
  ['requests', 'rate_limit'],
  ['tokens', 'rate_limit'],
  ['overloaded_error', 'overloaded'],
  ['slow_down', 'overloaded'],
  ['server_error', 'server'],
  ['internal_error', 'server'],
  ['internal_server_error', 'server'],
  ['api_error', 'server'],
  ['timeout', 'timeout'],
  ['request_timeout', 'timeout'],
  ['context_length_exceeded', 'context_length'],
  ['content_filter', 'content_filter'],
  ['invalid_api_key', 'auth'],
  ['authentication_error', 'auth'],
  ['permission_error', 'permission'],
  ['not_found_error', 'not_found'],
  ['model_not_found', 'not_found'],
  ['invalid_request_error', 'bad_request'],
  ['rate_limited', 'rate_limit'],
  ['billing_error', 'quota'],
  ['request_too_large', 'context_length'],
  ['timeout_error', 'timeout'],
  // gRPC status names (Google), for errors without an HTTP status.
  ['RESOURCE_EXHAUSTED', 'rate_limit'],
  ['UNAVAILABLE', 'overloaded'],
  ['INTERNAL', 'server'],
  ['UNKNOWN', 'server'],
  ['DEADLINE_EXCEEDED', 'timeout'],
  ['INVALID_ARGUMENT', 'bad_request'],
  ['FAILED_PRECONDITION', 'bad_request'],
  ['UNAUTHENTICATED', 'auth'],
  ['PERMISSION_DENIED', 'permission'],
  ['NOT_FOUND', 'not_found'],
]);

/**
 * Bedrock Runtime's exceptions (the error's `name`), whose kind decides over the status: a
 * `ModelNotReadyException` is a 429 that waiting for the model cures, a
 * `ServiceQuotaExceededException` a 400 that only a higher quota cures.
 */
const KIND_BY_EXCEPTION: ReadonlyMap<string | undefined, ErrorKind> = new Map([
  ['ThrottlingException', 'rate_limit'],
  ['ServiceQuotaExceededException', 'quota'],
  ['ModelNotReadyException', 'overloaded'],
  ['ServiceUnavailableException', 'overloaded'],
  ['ModelTimeoutException', 'timeout'],
  ['InternalServerException', 'server'],
  ['ModelErrorException', 'server'],
  ['ModelStreamErrorException', 'server'],
  ['ValidationException', 'bad_request'],
  ['AccessDeniedException', 'permission'],
  ['UnrecognizedClientException', 'auth'],
  ['ExpiredTokenException', 'auth'],
  ['ResourceNotFoundException', 'not_found'],
  ['ConflictException', 'conflict'],
]);

/** Codes that mean an exhausted balance whatever the status. */
const QUOTA_CODES: ReadonlySet<string | undefined> = new Set([
  'credit_balance_exhausted',
  'billing_hard_limit_reached',
  'billing_error',
]);

/** The names of errors that say a model's answer could not be parsed as the JSON asked for. */
const INVALID_OUTPUT_NAMES: ReadonlySet<string | undefined> = new Set([
  'AI_JSONParseError',
  'AI_NoObjectGeneratedError',
]);

/** The kind of the remaining 4xx statuses that have one of their own. */
const KIND_BY_CLIENT_STATUS: ReadonlyMap<number, ErrorKind> = new Map([
  [401, 'auth'],
  [402, 'quota'],
  [403, 'permission'],
  [404, 'not_found'],
  [408, 'timeout'],
  [409, 'conflict'],
  [422, 'unprocessable'],
]);

/** Only the start of a server message is searched for "overloaded". */
const SEARCHED_LENGTH = 4096;

function build(kind: ErrorKind, message: string, parts?: HttpErrorParts): ErrorClassification {
  const { retryable, breakerFailure } = ERROR_DECISIONS[kind];
  const result: ErrorClassification = { kind, retryable, breakerFailure, message };
  if (parts === undefined) return result;
  if (parts.status !== undefined) result.status = parts.status;
  if (parts.code !== undefined) result.code = safeText(parts.code, 100);
  if (parts.type !== undefined) result.type = safeText(parts.type, 100);
  if (parts.requestId !== undefined) result.requestId = safeText(parts.requestId, 200);
  if (parts.provider !== undefined) result.provider = parts.provider;
  const wait = waitHint(parts);
  if (wait !== undefined) result.retryAfterMs = wait;
  const shouldRetry = readHeader(parts.headers, 'x-should-retry');
  if (shouldRetry === 'false') result.retryable = false;
  if (shouldRetry === 'true' && parts.status !== undefined && kind !== 'quota') {
    result.retryable = true;
  }
  return result;
}

/** `Name: message` of an error that did not come from an HTTP response, cut to a loggable length. */
function describe(error: unknown): string {
  if (typeof error === 'string') return safeText(error);
  if (error === null || (typeof error !== 'object' && typeof error !== 'function')) {
    return `${error === null ? 'null' : typeof error} thrown`;
  }
  const name = readString(error, 'name');
  const label = name !== undefined && name !== 'Error' ? name : (constructorName(error) ?? 'Error');
  const message = readString(error, 'message');
  if (message !== undefined) return safeText(`${label}: ${message}`);
  return isErrorLike(error) ? safeText(label) : `non-error ${safeText(label, 100)} thrown`;
}

/** The toolkit's own TimeoutError (any copy of the package), or any error named `TimeoutError`. */
function isTimeoutError(error: unknown): boolean {
  return (
    readField(error, 'isLlmResilienceTimeout') === true ||
    readField(error, 'name') === 'TimeoutError'
  );
}

/** An abort: the SDK's APIUserAbortError, a DOM `AbortError`, cockatiel's TaskCancelledError. */
function isAbort(error: unknown): boolean {
  return (
    constructorName(error) === 'APIUserAbortError' ||
    readField(error, 'name') === 'AbortError' ||
    readField(error, 'name') === 'RequestAbortedError' ||
    readField(error, 'isTaskCancelledError') === true ||
    (readHttpParts(error)?.sdkShape === true &&
      readField(error, 'status') === undefined &&
      readField(error, 'message') === 'Request was aborted.')
  );
}

/** Whether an abort came from a timeout: its causes, or the reason of the call's signal. */
function abortedByTimeout(error: unknown, signal: unknown): boolean {
  if (causeChain(error).some(isTimeoutError)) return true;
  // cockatiel's timeout policy rejects with a TaskCancelledError of its own wording.
  if (readField(error, 'isTaskCancelledError') === true) {
    if (readString(error, 'message')?.startsWith('Operation timed out') === true) return true;
  }
  // A signal's reason stays undefined until it aborts.
  return isTimeoutError(readField(signal, 'reason'));
}

/**
 * cockatiel's own rejections: an open circuit (BrokenCircuitError, IsolatedCircuitError,
 * HydratingCircuitError) or a full bulkhead (BulkheadRejectedError). No request was sent, so
 * they are `aborted`: not retried, not a breaker failure.
 */
function isLocalRejection(error: unknown): boolean {
  return (
    readField(error, 'isBrokenCircuitError') === true ||
    readField(error, 'isHydratingCircuitError') === true ||
    readField(error, 'isBulkheadRejectedError') === true
  );
}

function kindFromCodes(parts: HttpErrorParts): ErrorKind | undefined {
  return KIND_BY_CODE.get(parts.code) ?? KIND_BY_CODE.get(parts.type);
}

function mentionsOverloaded(message: string | undefined): boolean {
  return message?.slice(0, SEARCHED_LENGTH).toLowerCase().includes('overloaded') === true;
}

/** Whether an Azure OpenAI body says its content filter refused the prompt (`innererror`). */
function azureContentFilter(parts: HttpErrorParts): boolean {
  const inner = readField(parts.payload, 'innererror');
  return readString(inner, 'code') === 'ResponsibleAIPolicyViolation';
}

/** A 400 (or an error without status) told apart by its code, then by the server's words. */
function kindOfInvalidRequest(parts: HttpErrorParts): ErrorKind {
  const isCode = (code: string) => parts.code === code || parts.type === code;
  if (isCode('context_length_exceeded') || isCode('request_too_large')) return 'context_length';
  if (isCode('content_filter') || azureContentFilter(parts)) return 'content_filter';
  // Google answers a bad API key with a 400 INVALID_ARGUMENT.
  if (parts.reason === 'API_KEY_INVALID') return 'auth';
  return kindInMessage(parts.serverMessage) ?? 'bad_request';
}

function kindFromStatus(status: number, parts: HttpErrorParts): ErrorKind {
  const named = KIND_BY_EXCEPTION.get(parts.code);
  if (named !== undefined) return named === 'bad_request' ? kindOfInvalidRequest(parts) : named;
  // Bedrock marks the exceptions its own retries take with `$retryable`.
  const retryHint = readField(parts.source, '$retryable');
  if (retryHint !== null && typeof retryHint === 'object' && status < 500) {
    return readField(retryHint, 'throttling') === true ? 'rate_limit' : 'overloaded';
  }
  const fromCodes = kindFromCodes(parts);
  const isCode = (code: string) => parts.code === code || parts.type === code;
  // A 402 is quota whatever its code (KIND_BY_CLIENT_STATUS below); a 429 needs the code, or a
  // Google QuotaFailure naming a per-day quota.
  if (
    QUOTA_CODES.has(parts.code) ||
    QUOTA_CODES.has(parts.type) ||
    (status === 429 && (isCode('insufficient_quota') || parts.dailyQuota === true))
  ) {
    return 'quota';
  }
  if (status === 429) return 'rate_limit';
  if (status >= 500) {
    const overloaded =
      status === 503 ||
      status === 529 ||
      fromCodes === 'overloaded' ||
      mentionsOverloaded(parts.serverMessage);
    return overloaded ? 'overloaded' : 'server';
  }
  if (status < 400) return 'unknown';
  if (status === 400 || status === 413) return kindOfInvalidRequest(parts);
  return KIND_BY_CLIENT_STATUS.get(status) ?? 'bad_request';
}

/** An SDK error without a status: an SSE error payload, a connection error or an SDK timeout. */
function kindWithoutStatus(parts: HttpErrorParts): ErrorKind {
  const name = constructorName(parts.source);
  if (name === 'APIConnectionTimeoutError') return 'timeout';
  if (name === 'APIConnectionError') return 'connection';
  const named = KIND_BY_EXCEPTION.get(parts.code) ?? kindFromCodes(parts);
  if (named === 'bad_request') return kindOfInvalidRequest(parts);
  if (parts.payload !== undefined) return named ?? kindInMessage(parts.serverMessage) ?? 'unknown';
  // Bundlers may rename classes; the SDK's fixed messages still tell the two apart.
  return parts.serverMessage?.startsWith('Request timed out') === true ? 'timeout' : 'connection';
}

function classifyHttp(parts: HttpErrorParts): ErrorClassification {
  // readHttpParts gives parts without a status only for the SDK shape.
  const kind =
    parts.status === undefined ? kindWithoutStatus(parts) : kindFromStatus(parts.status, parts);
  const message =
    parts.serverMessage !== undefined && parts.serverMessage.length > 0
      ? safeText(parts.serverMessage)
      : `HTTP ${parts.status ?? 'error'} without a message`;
  return build(kind, message, parts);
}

/**
 * A model's answer that is not the JSON it was asked for: the `SyntaxError` of `JSON.parse`
 * (every engine names JSON in its message), as openai's `chat.completions.parse` throws it, or
 * the AI SDK's `JSONParseError` and `NoObjectGeneratedError`.
 */
function isInvalidOutput(error: unknown): boolean {
  const name = readString(error, 'name');
  if (INVALID_OUTPUT_NAMES.has(name)) return true;
  return (
    name === 'SyntaxError' && readString(error, 'message')?.slice(0, 200).includes('JSON') === true
  );
}

/**
 * The AI SDK's `APICallError` without a status (a request that got no answer) says by its
 * `isRetryable` whether the AI SDK saw a connection failure; used only when its causes tell
 * nothing.
 */
function aiSdkHint(error: unknown): ErrorClassification | undefined {
  if (readString(error, 'name') !== 'AI_APICallError') return undefined;
  const kind = readField(error, 'isRetryable') === true ? 'connection' : 'unknown';
  return { ...build(kind, describe(error)), provider: 'vercel-ai' };
}

/** Classifies one link of the cause chain, or `undefined` when it tells nothing. */
function classifyLink(error: unknown, signal: unknown): ErrorClassification | undefined {
  if (isTimeoutError(error)) return build('timeout', describe(error));
  if (isAbort(error))
    return build(abortedByTimeout(error, signal) ? 'timeout' : 'aborted', describe(error));
  if (isLocalRejection(error)) return build('aborted', describe(error));
  // The rate-limit gate would hold the call longer than it accepts: no request was sent.
  if (readField(error, 'isLlmResilienceRateLimitHold') === true) {
    return build('rate_limit', describe(error));
  }
  // The toolkit's own refusals of a request that can never succeed: an invalid chat request, a
  // call larger than the whole token budget.
  if (
    readField(error, 'isLlmResilienceInvalidRequest') === true ||
    readField(error, 'isLlmResilienceBudget') === true
  ) {
    return build('bad_request', describe(error));
  }
  if (constructorName(error) === 'ContentFilterFinishReasonError') {
    return build('content_filter', describe(error));
  }
  if (isInvalidOutput(error)) return build('invalid_output', describe(error));
  const parts = readHttpParts(error);
  if (parts !== undefined) return classifyHttp(parts);
  const network = networkErrorKind(error);
  return network === undefined ? undefined : build(network, describe(error));
}

/**
 * Classifies any thrown value into what failed and what to do about it: `kind`, `retryable`,
 * `breakerFailure`, plus `status`, `code`, `type`, `requestId`, the server's wait hint
 * `retryAfterMs`, the SDK family `provider` and a short `message` (the server's error text or
 * `Name: message`, at most 500 characters, no headers, no request content). Works on the error's
 * shape, never `instanceof` nor an SDK import, so these all classify alike, in any number of
 * copies in one process: openai 4 to 7 (AzureOpenAI and OpenAI-compatible servers too),
 * `@anthropic-ai/sdk`, `@google/genai` (Gemini API and Vertex AI), the Vercel AI SDK
 * (`APICallError`, `RetryError` by its last error), `@aws-sdk/client-bedrock-runtime`,
 * `@mistralai/mistralai` and `groq-sdk`. Wrapped errors are classified by their `cause` (up to
 * 3 levels). Pure and never throws; anything unrecognised is `unknown` and not retried. The
 * decisions per kind are {@link ERROR_DECISIONS}; `x-should-retry: false|true` overrides
 * `retryable` (never for `quota`). See docs/providers.md for each SDK's errors.
 *
 * @example
 * ```ts
 * import Anthropic from '@anthropic-ai/sdk';
 * import { classifyError } from 'llm-resilience';
 *
 * const client = new Anthropic({ maxRetries: 0 });
 * try {
 *   await client.messages.create({
 *     model: 'claude-sonnet-5-5',
 *     max_tokens: 1024,
 *     messages: [{ role: 'user', content: 'Hello!' }],
 *   });
 * } catch (error) {
 *   const { kind, retryable, retryAfterMs, provider } = classifyError(error);
 *   // A 529 overloaded_error: kind 'overloaded', retryable true, provider 'anthropic'.
 *   // A 400 "prompt is too long": kind 'context_length', retryable false.
 * }
 * ```
 */
export function classifyError(error: unknown, options?: ClassifyOptions): ErrorClassification {
  try {
    const signal = readField(options, 'signal');
    if (
      readField(signal, 'aborted') === true &&
      readField(signal, 'reason') === error &&
      !isTimeoutError(error)
    ) {
      return build('aborted', describe(error));
    }
    let answered: ErrorClassification | undefined;
    for (const link of causeChain(error)) {
      const found = classifyLink(link, signal);
      if (found === undefined) continue;
      // A status under 400: the answer began and its body failed, which a cause may tell.
      if (!(found.kind === 'unknown' && found.status !== undefined && found.status < 400)) {
        return found;
      }
      answered ??= found;
    }
    return answered ?? aiSdkHint(error) ?? build('unknown', describe(error));
  } catch {
    return build('unknown', 'unclassifiable error');
  }
}
