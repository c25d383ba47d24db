import { causeChain, constructorName, readField, readString } from './errorShape.js';

/** Socket and fetch error codes that mean the connection failed or broke. */
const CONNECTION_CODES: ReadonlySet<string | undefined> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
]);

/** Socket and fetch error codes that mean a network-level timeout. */
const TIMEOUT_CODES: ReadonlySet<string | undefined> = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** undici's error classes for timeouts (their `name`), and Mistral's (Speakeasy SDKs'). */
const TIMEOUT_NAMES: ReadonlySet<string | undefined> = new Set([
  'ConnectTimeoutError',
  'HeadersTimeoutError',
  'BodyTimeoutError',
  'RequestTimeoutError',
]);

/** The classes of connection failures: undici's, and Mistral's (Speakeasy SDKs'). */
const CONNECTION_NAMES: ReadonlySet<string | undefined> = new Set([
  'SocketError',
  'ConnectionError',
]);

/**
 * The messages of the `TypeError` that `fetch` rejects with when the network fails: undici
 * (`fetch failed`, `terminated` when the body breaks off), Chromium, WebKit, Firefox.
 */
const FETCH_FAILURE_MESSAGES: ReadonlySet<string | undefined> = new Set([
  'fetch failed',
  'terminated',
  'Failed to fetch',
  'Load failed',
  'network error',
  'NetworkError when attempting to fetch resource.',
]);

/** The kind told by the error's own code or class alone. */
function directKind(error: unknown): 'connection' | 'timeout' | undefined {
  const code = readString(error, 'code');
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (CONNECTION_CODES.has(code)) return 'connection';
  for (const name of [readString(error, 'name'), constructorName(error)]) {
    if (TIMEOUT_NAMES.has(name)) return 'timeout';
    if (CONNECTION_NAMES.has(name)) return 'connection';
  }
  return undefined;
}

/**
 * Whether `error` is a raw network failure, and which: `timeout` for network-level timeouts,
 * `connection` for refused, reset, broken or unreachable connections (`ECONNRESET`,
 * `ECONNREFUSED`, `EPIPE`, `TypeError: terminated`, undici `SocketError`, ...). `undefined` for
 * anything else. A `fetch failed` TypeError takes the kind of its cause when the cause tells.
 */
export function networkErrorKind(error: unknown): 'connection' | 'timeout' | undefined {
  const direct = directKind(error);
  if (direct !== undefined) return direct;
  if (readField(error, 'name') !== 'TypeError') return undefined;
  if (!FETCH_FAILURE_MESSAGES.has(readString(error, 'message'))) return undefined;
  // The chain starts with `error` itself, whose code and class told nothing above.
  for (const cause of causeChain(error)) {
    const kind = directKind(cause);
    if (kind !== undefined) return kind;
  }
  return 'connection';
}
