import { isDigit } from './charCodes.js';
import { causeChain, isErrorLike, readHeader, readHttpParts } from './errorShape.js';
import { parseGoDurationMs } from './goDuration.js';
import { parseHttpDate } from './httpDate.js';
import { retryHintInMessage } from './messageRetryHint.js';
import { parseRfc3339 } from './rfc3339.js';

/** The longest server wait taken seriously: one day. Longer hints are treated as no hint. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/** Header values longer than this are no wait hint (a real one is a few characters). */
const MAX_HINT_LENGTH = 64;

/**
 * Parses `12`, `1.5`, ` 0 ` (digits and dots; `NaN` when the dots make no number, as in `1.2.3`);
 * `undefined` for anything else.
 */
function parseDecimal(text: string | undefined): number | undefined {
  if (text === undefined || text.length > MAX_HINT_LENGTH) return undefined;
  const value = text.trim();
  if (value === '') return undefined;
  for (let i = 0; i < value.length; i++) {
    if (!isDigit(value.charCodeAt(i)) && value[i] !== '.') return undefined;
  }
  return Number(value);
}

/** `ms` when it is a sane wait (not negative, at most a day; so never NaN), else `undefined`. */
function saneWait(ms: number | undefined): number | undefined {
  return ms !== undefined && ms >= 0 && ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
}

function fromRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = parseDecimal(value);
  if (seconds !== undefined) return seconds * 1000;
  const date = parseHttpDate(value);
  return date === undefined ? undefined : date - Date.now();
}

/** Milliseconds from now until the RFC 3339 time `text`. */
function untilTimestamp(text: string): number | undefined {
  const at = parseRfc3339(text);
  return at === undefined ? undefined : at - Date.now();
}

/** A family of per-limit reset headers: OpenAI's Go durations, Anthropic's RFC 3339 times. */
interface ResetHeaders {
  limits: readonly string[];
  reset(limit: string): string;
  remaining(limit: string): string;
  parse(text: string): number | undefined;
}

const RESET_HEADERS: readonly ResetHeaders[] = [
  {
    limits: ['requests', 'tokens'],
    reset: (limit) => `x-ratelimit-reset-${limit}`,
    remaining: (limit) => `x-ratelimit-remaining-${limit}`,
    parse: parseGoDurationMs,
  },
  {
    limits: ['requests', 'tokens', 'input-tokens', 'output-tokens'],
    reset: (limit) => `anthropic-ratelimit-${limit}-reset`,
    remaining: (limit) => `anthropic-ratelimit-${limit}-remaining`,
    parse: untilTimestamp,
  },
];

/** The reset wait of the exhausted limit (remaining 0), else the larger of all, of one family. */
function fromRateLimitReset(headers: unknown, family: ResetHeaders): number | undefined {
  const exhausted: number[] = [];
  const all: number[] = [];
  for (const limit of family.limits) {
    const raw = readHeader(headers, family.reset(limit));
    const reset = saneWait(raw === undefined ? undefined : family.parse(raw));
    if (reset === undefined) continue;
    all.push(reset);
    if (parseDecimal(readHeader(headers, family.remaining(limit))) === 0) exhausted.push(reset);
  }
  const chosen = exhausted.length > 0 ? exhausted : all;
  return chosen.length > 0 ? Math.max(...chosen) : undefined;
}

/** The first family of reset headers that gives a wait. */
function fromResetHeaders(headers: unknown): number | undefined {
  for (const family of RESET_HEADERS) {
    const wait = fromRateLimitReset(headers, family);
    if (wait !== undefined) return wait;
  }
  return undefined;
}

/** Where a wait hint can come from: the response headers, its status and the server's message. */
export interface WaitHintSources {
  /** Response headers: WHATWG `Headers` or a record; anything else has no headers. */
  headers?: unknown;
  status?: number;
  serverMessage?: string;
  /** Google's `RetryInfo.retryDelay` from the error body, in milliseconds. */
  retryDelayMs?: number;
}

/**
 * The server's wait hint in milliseconds, first sane one in this order: `retry-after-ms`,
 * `retry-after` (seconds or HTTP-date), for a 429 the `x-ratelimit-reset-*` headers (else
 * Anthropic's `anthropic-ratelimit-*-reset`), Google's `RetryInfo.retryDelay`, then a "try again
 * in 1.4s" phrase in the server's message.
 */
export function waitHint({
  headers,
  status,
  serverMessage,
  retryDelayMs,
}: WaitHintSources): number | undefined {
  return (
    saneWait(parseDecimal(readHeader(headers, 'retry-after-ms'))) ??
    saneWait(fromRetryAfter(readHeader(headers, 'retry-after'))) ??
    (status === 429 ? fromResetHeaders(headers) : undefined) ??
    saneWait(retryDelayMs) ??
    saneWait(serverMessage === undefined ? undefined : retryHintInMessage(serverMessage))
  );
}

/**
 * The server's wait hint in milliseconds, from an error (an openai SDK error of any major, an
 * Anthropic, Google, AI SDK, Bedrock, Mistral or Groq error, or anything with `status` and
 * `headers` such as a fetch `Response`, also found through `cause`) or
 * from response headers themselves (WHATWG `Headers` or a plain record). Order: `retry-after-ms`
 * (float milliseconds, `"0"` counts), `retry-after` (seconds or an HTTP-date relative to now),
 * then for 429s `x-ratelimit-reset-requests` / `-tokens` (Go durations, the exhausted one, else
 * the larger; Anthropic's `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-reset`
 * RFC 3339 times likewise), Google's `RetryInfo.retryDelay` (`"34.4s"`) in the error body, then
 * "try again in 1.4s" in the server's message. Negative, unparseable or absurd
 * (over a day) values give `undefined`. Never throws; linear in the input's length.
 *
 * @example
 * ```ts
 * import { retryAfterMs } from 'llm-resilience';
 *
 * retryAfterMs(new Headers({ 'retry-after-ms': '1500' })); // 1500
 * retryAfterMs({ 'retry-after': '2' }); // 2000
 * retryAfterMs({}); // undefined
 * // An SDK error works too: for a 429 whose headers say `retry-after-ms: 1500`, 1500.
 * ```
 */
export function retryAfterMs(errorOrHeaders: unknown): number | undefined {
  try {
    for (const link of causeChain(errorOrHeaders)) {
      const parts = readHttpParts(link);
      if (parts !== undefined) return waitHint(parts);
    }
    // An error without HTTP details is never read as a header record.
    return isErrorLike(errorOrHeaders) ? undefined : waitHint({ headers: errorOrHeaders });
  } catch {
    return undefined;
  }
}
