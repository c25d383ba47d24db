import { estimateRequestTokens } from '../rateLimit/requestTokens.js';
import { atLeastZero, checkObject, positive, type Schema } from '../validate.js';
import { errorReplyFor } from './errorReplies.js';
import { formatResetDuration, type StatusReply } from './replies.js';

/**
 * The fake server's own rate limits (`startFakeOpenAI({ rateLimits })`): two token buckets, one
 * of requests and one of tokens, each holding a minute's worth and refilled continuously, as
 * OpenAI's limits are.
 */
export interface FakeRateLimitOptions {
  /** Requests a minute. */
  requestsPerMinute: number;
  /** Tokens a minute. */
  tokensPerMinute: number;
  /** Requests the request bucket holds at the start; default `requestsPerMinute` (full). */
  startRequests?: number;
  /** Tokens the token bucket holds at the start; default `tokensPerMinute` (full). */
  startTokens?: number;
  /**
   * The rate-limit headers sent with every reply: OpenAI's `x-ratelimit-*` (default: `limit`,
   * `remaining`, and `reset` as a Go duration until the bucket is full) or Anthropic's
   * `anthropic-ratelimit-*` (`reset` as an RFC 3339 time).
   */
  headers?: 'openai' | 'anthropic';
}

const CHECKS: Schema = {
  requestsPerMinute: { check: positive },
  tokensPerMinute: { check: positive },
  startRequests: { check: atLeastZero, optional: true },
  startTokens: { check: atLeastZero, optional: true },
  headers: {
    check: (v) => (v === 'openai' || v === 'anthropic' ? undefined : "'openai' or 'anthropic'"),
    optional: true,
  },
};

/** One bucket of the fake server's limits. */
class Bucket {
  constructor(
    readonly limit: number,
    private level: number,
    private at: number,
  ) {}

  private get perMs(): number {
    return this.limit / 60_000;
  }

  /** The level at `now`. */
  levelAt(now: number): number {
    this.level = Math.min(this.limit, this.level + Math.max(0, now - this.at) * this.perMs);
    this.at = Math.max(this.at, now);
    return this.level;
  }

  /** Milliseconds until `cost` is in the bucket (0: now). */
  waitMs(cost: number, now: number): number {
    const missing = Math.min(cost, this.limit) - this.levelAt(now);
    return missing <= 1e-9 ? 0 : Math.ceil(missing / this.perMs);
  }

  take(cost: number, now: number): void {
    this.levelAt(now);
    this.level -= cost;
  }

  /** Milliseconds until the bucket is full. */
  resetMs(now: number): number {
    return Math.max(0, (this.limit - this.levelAt(now)) / this.perMs);
  }
}

/** What the limiter decided for one request: the headers to send, and a 429 when refused. */
export interface Admission {
  headers: Record<string, string>;
  refused?: StatusReply;
}

/**
 * The fake server's limiter: admits a request when both buckets hold its cost (one request;
 * its `max_tokens` plus its prompt's length at a token per 4 characters) and charges them, or
 * refuses it with a 429 whose `retry-after-ms` is the wait until they do, charging nothing.
 * Every answer carries the buckets' state in rate-limit headers.
 */
export class FakeRateLimiter {
  private readonly requests: Bucket;
  private readonly tokens: Bucket;
  private readonly family: 'openai' | 'anthropic';

  /** Throws a TypeError naming a bad option (`startFakeOpenAI: rateLimits.<name>`) and its value. */
  constructor(options: FakeRateLimitOptions, now: number) {
    checkObject(options, CHECKS, {
      path: 'startFakeOpenAI: rateLimits',
      noun: 'a rate-limit option of the fake server',
    });
    const { requestsPerMinute, tokensPerMinute } = options;
    this.requests = new Bucket(requestsPerMinute, options.startRequests ?? requestsPerMinute, now);
    this.tokens = new Bucket(tokensPerMinute, options.startTokens ?? tokensPerMinute, now);
    this.family = options.headers ?? 'openai';
  }

  /** Admits or refuses a request whose raw JSON body is `body`, at `now` (ms). */
  admit(body: string, now: number): Admission {
    const estimate = estimateRequestTokens(body);
    const cost = estimate === undefined ? 0 : estimate.input + estimate.output;
    const waitMs = Math.max(this.requests.waitMs(1, now), this.tokens.waitMs(cost, now));
    if (waitMs > 0) {
      const headers = this.headers(now);
      const refused = errorReplyFor('rate_limit', {
        retryAfterMs: waitMs,
        ...(this.family === 'anthropic' ? { provider: 'anthropic' as const } : {}),
      });
      return { headers, refused: { ...refused, headers: { ...refused.headers, ...headers } } };
    }
    this.requests.take(1, now);
    this.tokens.take(cost, now);
    return { headers: this.headers(now) };
  }

  private headers(now: number): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, bucket] of [
      ['requests', this.requests],
      ['tokens', this.tokens],
    ] as const) {
      const remaining = String(Math.max(0, Math.floor(bucket.levelAt(now))));
      const resetMs = bucket.resetMs(now);
      if (this.family === 'openai') {
        headers[`x-ratelimit-limit-${name}`] = String(bucket.limit);
        headers[`x-ratelimit-remaining-${name}`] = remaining;
        headers[`x-ratelimit-reset-${name}`] = formatResetDuration(resetMs);
      } else {
        headers[`anthropic-ratelimit-${name}-limit`] = String(bucket.limit);
        headers[`anthropic-ratelimit-${name}-remaining`] = remaining;
        headers[`anthropic-ratelimit-${name}-reset`] = new Date(Date.now() + resetMs).toISOString();
      }
    }
    return headers;
  }
}
