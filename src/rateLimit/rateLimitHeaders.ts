import { isDigit } from '../errors/charCodes.js';
import { readHeader } from '../errors/errorShape.js';
import { parseGoDurationMs } from '../errors/goDuration.js';
import { parseRfc3339 } from '../errors/rfc3339.js';

/** One limit as a reply's headers state it. */
export interface ServerLimit {
  /** Requests or tokens left now, a finite number >= 0. */
  remaining: number;
  /** The limit itself (per window), when the headers give it. */
  limit?: number;
  /** Milliseconds until the limit is whole again, when the headers give it (at most a day). */
  resetMs?: number;
}

/** The kinds of limit a server reports: requests, tokens, and Anthropic's input and output tokens. */
export type ServerLimitKind = 'requests' | 'tokens' | 'inputTokens' | 'outputTokens';

/** What a reply's rate-limit headers said, one {@link ServerLimit} per kind reported. */
export type ServerLimits = Partial<Record<ServerLimitKind, ServerLimit>>;

/** The longest reset taken seriously: one day. */
const MAX_RESET_MS = 86_400_000;

/** Values longer than this are no count (real ones are a few digits). */
const MAX_COUNT_LENGTH = 20;

/** Parses `123` or `123.5` (digits and at most one dot, trimmed); `undefined` for anything else. */
function parseCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim();
  if (value === '' || value.length > MAX_COUNT_LENGTH) return undefined;
  let dots = 0;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '.') dots++;
    else if (!isDigit(value.charCodeAt(i))) return undefined;
  }
  if (dots > 1 || value === '.') return undefined;
  const count = Number(value);
  return Number.isFinite(count) ? count : undefined;
}

/** A reset within a day from now, else `undefined`. */
function saneReset(ms: number | undefined): number | undefined {
  return ms !== undefined && ms >= 0 && ms <= MAX_RESET_MS ? ms : undefined;
}

/** A family of rate-limit headers: the header name of each field, and how its reset reads. */
interface HeaderFamily {
  readonly kinds: Readonly<Partial<Record<ServerLimitKind, string>>>;
  name(field: 'limit' | 'remaining' | 'reset', limit: string): string;
  resetMs(text: string, now: number): number | undefined;
}

const FAMILIES: readonly HeaderFamily[] = [
  {
    // OpenAI, Azure OpenAI and Groq: `x-ratelimit-remaining-tokens: 29990`, reset `6m0s`.
    kinds: { requests: 'requests', tokens: 'tokens' },
    name: (field, limit) => `x-ratelimit-${field}-${limit}`,
    resetMs: (text) => parseGoDurationMs(text),
  },
  {
    // Anthropic: `anthropic-ratelimit-tokens-remaining`, reset an RFC 3339 time.
    kinds: {
      requests: 'requests',
      tokens: 'tokens',
      inputTokens: 'input-tokens',
      outputTokens: 'output-tokens',
    },
    name: (field, limit) => `anthropic-ratelimit-${limit}-${field}`,
    resetMs(text, now) {
      const at = parseRfc3339(text);
      return at === undefined ? undefined : Math.max(0, at - now);
    },
  },
];

/** One limit of one family, or `undefined` when its `remaining` header is missing or not a count. */
function readLimit(
  headers: unknown,
  family: HeaderFamily,
  limit: string,
  now: number,
): ServerLimit | undefined {
  const remaining = parseCount(readHeader(headers, family.name('remaining', limit)));
  if (remaining === undefined) return undefined;
  const result: ServerLimit = { remaining };
  const max = parseCount(readHeader(headers, family.name('limit', limit)));
  if (max !== undefined && max > 0 && max >= remaining) result.limit = max;
  const resetText = readHeader(headers, family.name('reset', limit));
  const resetMs = saneReset(resetText === undefined ? undefined : family.resetMs(resetText, now));
  if (resetMs !== undefined) result.resetMs = resetMs;
  return result;
}

/**
 * The rate limits a reply's headers state (WHATWG `Headers` or a plain record): OpenAI's, Azure
 * OpenAI's and Groq's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (resets as Go
 * durations, `6m0s`, `1.2s`, `20ms`), else Anthropic's
 * `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`
 * (resets as RFC 3339 times). A limit is reported when its `remaining` header is a count; a
 * `limit` below the remaining count and a reset that is unreadable, negative or over a day are
 * left out. `undefined` when no limit is reported. Never throws; linear in the headers' length.
 * `now` is the clock Anthropic's reset times are read against (`Date.now()`).
 *
 * @example
 * ```ts
 * import { parseRateLimitHeaders } from 'llm-resilience';
 *
 * parseRateLimitHeaders({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '1.5s' });
 * // { tokens: { remaining: 0, resetMs: 1500 } }
 * ```
 */
export function parseRateLimitHeaders(
  headers: unknown,
  now: number = Date.now(),
): ServerLimits | undefined {
  try {
    for (const family of FAMILIES) {
      const limits: ServerLimits = {};
      let found = false;
      for (const [kind, limit] of Object.entries(family.kinds) as [ServerLimitKind, string][]) {
        const read = readLimit(headers, family, limit, now);
        if (read === undefined) continue;
        limits[kind] = read;
        found = true;
      }
      if (found) return limits;
    }
  } catch {
    // Headers whose reading throws say nothing.
  }
  return undefined;
}
