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
import { networkErrorKind } from './networkErrorKind.js';
import { waitHint } from './retryAfter.js';
import { safeText } from './safeText.js';

/** Options of {@link classifyOpenAIError}. */
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
]);

/** Codes that mean an exhausted balance whatever the status. */
const QUOTA_CODES: ReadonlySet<string | undefined> = new Set([
  'credit_balance_exhausted',
  'billing_hard_limit_reached',
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

function kindFromStatus(status: number, parts: HttpErrorParts): ErrorKind {
  const fromCodes = kindFromCodes(parts);
  const isCode = (code: string) => parts.code === code || parts.type === code;
  // A 402 is quota whatever its code (KIND_BY_CLIENT_STATUS below); a 429 needs the code.
  if (QUOTA_CODES.has(parts.code) || (status === 429 && isCode('insufficient_quota'))) {
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
  if (status === 400) {
    if (isCode('context_length_exceeded')) return 'context_length';
    if (isCode('content_filter')) return 'content_filter';
    return 'bad_request';
  }
  return KIND_BY_CLIENT_STATUS.get(status) ?? 'bad_request';
}

/** An SDK error without a status: an SSE error payload, a connection error or an SDK timeout. */
function kindWithoutStatus(parts: HttpErrorParts): ErrorKind {
  const name = constructorName(parts.source);
  if (name === 'APIConnectionTimeoutError') return 'timeout';
  if (name === 'APIConnectionError') return 'connection';
  if (parts.payload !== undefined) return kindFromCodes(parts) ?? 'unknown';
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

/** Classifies one link of the cause chain, or `undefined` when it tells nothing. */
function classifyLink(error: unknown, signal: unknown): ErrorClassification | undefined {
  if (isTimeoutError(error)) return build('timeout', describe(error));
  if (isAbort(error))
    return build(abortedByTimeout(error, signal) ? 'timeout' : 'aborted', describe(error));
  if (isLocalRejection(error)) return build('aborted', describe(error));
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
  const parts = readHttpParts(error);
  if (parts !== undefined) return classifyHttp(parts);
  const network = networkErrorKind(error);
  return network === undefined ? undefined : build(network, describe(error));
}

/**
 * Classifies any thrown value into what failed and what to do about it: `kind`, `retryable`,
 * `breakerFailure`, plus `status`, `code`, `type`, `requestId`, the server's wait hint
 * `retryAfterMs` and a short `message` (the server's error text or `Name: message`, at most 500
 * characters, no headers, no request content). Works on the error's shape, not `instanceof`, so
 * every openai SDK major (4 to 7), AzureOpenAI, Anthropic-style SDKs and several copies of a
 * package in one process all classify alike. Wrapped errors are classified by their `cause`
 * (up to 3 levels). Pure and never throws; anything unrecognised is `unknown` and not retried.
 * The decisions per kind are {@link ERROR_DECISIONS}; `x-should-retry: false|true` overrides
 * `retryable` (never for `quota`).
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { classifyOpenAIError } from 'llm-resilience';
 *
 * const client = new OpenAI({ maxRetries: 0 });
 * try {
 *   await client.chat.completions.create({
 *     model: 'gpt-4o-mini',
 *     messages: [{ role: 'user', content: 'Hello!' }],
 *   });
 * } catch (error) {
 *   const { kind, retryable, status, requestId } = classifyOpenAIError(error);
 *   // A 429 `insufficient_quota`: kind 'quota', retryable false, status 429, requestId 'req_...'.
 *   // A 429 `rate_limit_exceeded`: kind 'rate_limit', retryable true, with `retryAfterMs`.
 * }
 * ```
 */
export function classifyOpenAIError(
  error: unknown,
  options?: ClassifyOptions,
): ErrorClassification {
  try {
    const signal = readField(options, 'signal');
    if (
      readField(signal, 'aborted') === true &&
      readField(signal, 'reason') === error &&
      !isTimeoutError(error)
    ) {
      return build('aborted', describe(error));
    }
    for (const link of causeChain(error)) {
      const found = classifyLink(link, signal);
      if (found !== undefined) return found;
    }
    return build('unknown', describe(error));
  } catch {
    return build('unknown', 'unclassifiable error');
  }
}
