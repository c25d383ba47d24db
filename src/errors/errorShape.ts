import type { ErrorProvider } from './ErrorClassification.js';
import { errorPayload, readErrorBody } from './errorBody.js';
import { errorProvider } from './errorProvider.js';
import { readGoogleDetails } from './googleDetails.js';

/**
 * Safe reads of the fields SDK errors carry. Every read is guarded: a throwing getter, a hostile
 * proxy or a revoked proxy yields `undefined` instead of an exception.
 */

/** Reads `value[key]`, or `undefined` when `value` is not an object or the read throws. */
export function readField(value: unknown, key: string): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function'))
    return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Reads `value[key]` when it is a string. */
export function readString(value: unknown, key: string): string | undefined {
  const field = readField(value, key);
  return typeof field === 'string' ? field : undefined;
}

/** Reads an API code field: a string, or a finite number as its decimal text (Azure sends `"429"`). */
export function readCode(value: unknown, key: string): string | undefined {
  const field = readField(value, key);
  if (typeof field === 'string') return field;
  return Number.isFinite(field) ? String(field) : undefined;
}

/** Whether `value` has an own property `key`, without letting a proxy trap throw. */
export function hasOwnField(value: unknown, key: string): boolean {
  if (value === null || typeof value !== 'object') return false;
  try {
    return Object.hasOwn(value, key);
  } catch {
    return false;
  }
}

/** The name of the class that built `value` (`RateLimitError`, `SocketError`, ...), if readable. */
export function constructorName(value: unknown): string | undefined {
  return readString(readField(value, 'constructor'), 'name');
}

/** Whether `value` is an Error (any subclass, any realm), by its built-in tag rather than `instanceof`. */
export function isErrorLike(value: unknown): boolean {
  try {
    return Object.prototype.toString.call(value) === '[object Error]';
  } catch {
    return false;
  }
}

/** An HTTP status read from `status` or `statusCode`: an integer from 100 to 599. */
export function readStatus(value: unknown): number | undefined {
  for (const key of ['status', 'statusCode']) {
    const field = readField(value, key);
    if (typeof field === 'number' && Number.isInteger(field) && field >= 100 && field <= 599) {
      return field;
    }
  }
  return undefined;
}

/** How many own keys of a plain header record are scanned for a case-insensitive match. */
const MAX_SCANNED_HEADER_KEYS = 200;

/**
 * Reads one response header from WHATWG `Headers` (openai 5+), a case-insensitive record
 * (openai 4) or a plain record (any case). `name` must be lower case. Arrays (Node's raw
 * headers) give their first value.
 */
export function readHeader(headers: unknown, name: string): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  const get = readField(headers, 'get');
  let raw: unknown;
  if (typeof get === 'function') {
    try {
      raw = get.call(headers, name);
    } catch {
      // A throwing `get` reads as a missing header.
    }
  } else {
    raw = readField(headers, name);
    if (raw === undefined) raw = scanHeaderRecord(headers, name);
  }
  try {
    if (Array.isArray(raw)) raw = raw[0];
  } catch {
    // An unreadable array stays an object, which is no header value.
  }
  if (Number.isFinite(raw)) return String(raw);
  return typeof raw === 'string' ? raw : undefined;
}

function scanHeaderRecord(headers: object, name: string): unknown {
  let keys: string[];
  try {
    keys = Object.keys(headers);
  } catch {
    return undefined;
  }
  for (const key of keys.slice(0, MAX_SCANNED_HEADER_KEYS)) {
    // The length check first: a megabyte key is never lower-cased.
    if (key.length === name.length && key.toLowerCase() === name) return readField(headers, key);
  }
  return undefined;
}

/**
 * What an error says about the HTTP exchange that caused it. Stainless-generated SDK errors
 * (openai 4 to 7, Anthropic's, Groq's) assign `status`, `headers` and `error` in their
 * constructor, so those own fields identify them without `instanceof`; other SDKs are read by
 * their own fields: the AI SDK's `statusCode`, `responseHeaders` and `responseBody`, Bedrock's
 * `$metadata`, Mistral's `statusCode`, `headers` and `body`, Google's `status` and JSON message.
 */
export interface HttpErrorParts {
  /** The error the parts were read from. */
  source: object;
  /** Whether the error has the Stainless SDK shape (`status`, `headers`, `error` own fields). */
  sdkShape: boolean;
  status?: number;
  headers?: object;
  /** The error object of the parsed body (the openai SDK's `error` field, or the SSE error payload). */
  payload?: object;
  code?: string;
  type?: string;
  requestId?: string;
  /** The server's own error text: `error.message` from the body, else the error's message. */
  serverMessage?: string;
  /** The SDK family, when the shape tells it. */
  provider?: ErrorProvider;
  /** Google's `RetryInfo.retryDelay`, in milliseconds. */
  retryDelayMs?: number;
  /** Whether a Google `QuotaFailure` names a per-day quota. */
  dailyQuota?: true;
  /** Google's `ErrorInfo.reason`, e.g. `API_KEY_INVALID`. */
  reason?: string;
}

/** `value` when it is a non-null object, else `undefined`. */
export const asObject = (value: unknown): object | undefined =>
  value !== null && typeof value === 'object' ? value : undefined;

/** A gRPC status name (`RESOURCE_EXHAUSTED`) from a Google error object's `status` field. */
function grpcStatus(payload: unknown): string | undefined {
  const status = readString(payload, 'status');
  if (status === undefined || status.length > 40) return undefined;
  for (let i = 0; i < status.length; i++) {
    const code = status.charCodeAt(i);
    if (!((code >= 65 && code <= 90) || code === 95)) return undefined;
  }
  return status.length > 0 ? status : undefined;
}

/** Reads {@link HttpErrorParts} from `value`, or `undefined` when it carries no HTTP details. */
export function readHttpParts(value: unknown): HttpErrorParts | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const sdkShape =
    hasOwnField(value, 'status') && hasOwnField(value, 'headers') && hasOwnField(value, 'error');
  const metadata = readField(value, '$metadata');
  const status = readStatus(value) ?? readStatus({ status: readField(metadata, 'httpStatusCode') });
  if (!sdkShape && status === undefined) return undefined;
  const headers =
    asObject(readField(value, 'headers')) ??
    asObject(readField(value, 'responseHeaders')) ??
    asObject(readField(readField(value, '$response'), 'headers'));
  const payload = errorPayload(readErrorBody(value, sdkShape));
  const parts: HttpErrorParts = { source: value, sdkShape };
  if (status !== undefined) parts.status = status;
  if (headers !== undefined) parts.headers = headers;
  if (payload !== undefined) parts.payload = payload;
  const exceptionName = metadata === undefined ? undefined : readString(value, 'name');
  const code =
    readCode(value, 'code') ?? grpcStatus(payload) ?? readCode(payload, 'code') ?? exceptionName;
  if (code !== undefined) parts.code = code;
  const type = readString(value, 'type') ?? readString(payload, 'type');
  if (type !== undefined) parts.type = type;
  const requestId =
    readString(value, 'requestID') ??
    readString(value, 'request_id') ??
    readString(metadata, 'requestId') ??
    readHeader(headers, 'request-id') ??
    readHeader(headers, 'x-request-id');
  if (requestId !== undefined) parts.requestId = requestId;
  const serverMessage = readString(payload, 'message') ?? readString(value, 'message');
  if (serverMessage !== undefined) parts.serverMessage = serverMessage;
  const provider = errorProvider(value, headers, payload);
  if (provider !== undefined) parts.provider = provider;
  const { retryDelayMs, dailyQuota, reason } = readGoogleDetails(payload);
  if (retryDelayMs !== undefined) parts.retryDelayMs = retryDelayMs;
  if (dailyQuota) parts.dailyQuota = true;
  if (reason !== undefined) parts.reason = reason;
  return parts;
}

/** How many `cause` links are followed from the error that was thrown. */
export const MAX_CAUSE_DEPTH = 3;

/**
 * The error itself, then its `cause` (or, for the AI SDK's `RetryError`, its `lastError`), its
 * cause's `cause`, ... up to {@link MAX_CAUSE_DEPTH} links.
 */
export function causeChain(error: unknown): unknown[] {
  const chain = [error];
  let current = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    current = readField(current, 'cause') ?? readField(current, 'lastError');
    if (current === undefined || current === null || chain.includes(current)) break;
    chain.push(current);
  }
  return chain;
}
