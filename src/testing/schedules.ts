import { isFiniteNumber } from '../isFiniteNumber.js';
import { atLeastZero, type Check, checkValue, count, positive, refuse } from '../validate.js';
import type { RecordedRequest } from './recordedRequest.js';
import { type Reply, replies, validateReply } from './replies.js';
import { seededRandom } from './seededRandom.js';
import { showValue } from './showValue.js';

/**
 * A script as a function: picks the reply for each request. `index` counts the requests
 * answered under the current script from 0 (`setScript` starts it again).
 */
export type Schedule = (request: RecordedRequest, index: number) => Reply;

function checkReply(where: string, field: string, reply: unknown): void {
  validateReply(reply, where, `${field}.`);
}

/** An integer > 0. */
const countAboveZero: Check = (v) =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? undefined : 'an integer > 0';

function checkPositive(where: string, field: string, value: unknown, integer: boolean): void {
  checkValue(`${where}: ${field}`, value, integer ? countAboveZero : positive, showValue);
}

/** Options of {@link schedules.failRandomly}. */
export interface FailRandomlyOptions {
  /** Seed of the random source: the same seed fails the same requests. */
  seed: number;
  /** The reply to the other requests; default `replies.ok()`. */
  then?: Reply;
}

/** Options of {@link schedules.tokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Bucket size, and the tokens it starts with; default 1. */
  burst?: number;
  /** The reply to requests that get a token; default `replies.ok()`. */
  then?: Reply;
}

/** Ready-made schedules (scripts as functions) for the fake OpenAI server. */
export const schedules = {
  /** The replies in order, one per request; the last one repeats. */
  sequence(...sequence: Reply[]): Schedule {
    if (sequence.length === 0) {
      throw new TypeError('schedules.sequence: replies must hold at least one reply, got none');
    }
    sequence.forEach((reply, i) => {
      checkReply('schedules.sequence', `replies[${i}]`, reply);
    });
    return (_request, index) => sequence[Math.min(index, sequence.length - 1)] as Reply;
  },

  /** `reply` to the first `n` requests, then `then` (default `replies.ok()`). */
  failFirst(n: number, reply: Reply, then: Reply = replies.ok()): Schedule {
    checkValue('schedules.failFirst: n', n, count(0), showValue);
    checkReply('schedules.failFirst', 'reply', reply);
    checkReply('schedules.failFirst', 'then', then);
    return (_request, index) => (index < n ? reply : then);
  },

  /**
   * `reply` to every request for `ms` milliseconds from the first request this schedule
   * answers, then `then` (default `replies.ok()`).
   */
  failFor(ms: number, reply: Reply, then: Reply = replies.ok()): Schedule {
    checkValue('schedules.failFor: ms', ms, atLeastZero, showValue);
    checkReply('schedules.failFor', 'reply', reply);
    checkReply('schedules.failFor', 'then', then);
    let start: number | undefined;
    return (request) => {
      start ??= request.time;
      return request.time - start < ms ? reply : then;
    };
  },

  /** `reply` to a `fraction` (0..1) of the requests, picked by a random source seeded with `seed`. */
  failRandomly(fraction: number, reply: Reply, options: FailRandomlyOptions): Schedule {
    if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
      refuse('schedules.failRandomly: fraction', 'a number from 0 to 1', fraction, showValue);
    }
    checkReply('schedules.failRandomly', 'reply', reply);
    const seed = (options as Partial<FailRandomlyOptions> | undefined)?.seed;
    if (!isFiniteNumber(seed)) {
      refuse('schedules.failRandomly: options.seed', 'a finite number', seed, showValue);
    }
    const then = options.then ?? replies.ok();
    checkReply('schedules.failRandomly', 'options.then', then);
    const random = seededRandom(seed);
    return () => (random() < fraction ? reply : then);
  },

  /**
   * A token bucket of `burst` tokens (default 1, starting full) refilled at `ratePerSec`: a request
   * that gets a token receives `then` (default `replies.ok()`), the others a 429 whose
   * `retry-after-ms` is the exact wait for the next token (rounded up to a whole millisecond)
   * and `retry-after` the same in whole seconds, rounded up.
   */
  tokenBucket(options: TokenBucketOptions): Schedule {
    const { ratePerSec, burst = 1, then = replies.ok() } = options;
    checkPositive('schedules.tokenBucket', 'ratePerSec', ratePerSec, false);
    checkPositive('schedules.tokenBucket', 'burst', burst, true);
    checkReply('schedules.tokenBucket', 'then', then);
    let tokens = burst;
    let last: number | undefined;
    return (request) => {
      const now = request.time;
      tokens = Math.min(burst, tokens + ((now - (last ?? now)) * ratePerSec) / 1000);
      last = now;
      // A client that waited exactly the announced wait gets its token despite float rounding.
      if (tokens >= 1 - 1e-9) {
        tokens -= 1;
        return then;
      }
      const waitMs = Math.ceil(((1 - tokens) * 1000) / ratePerSec);
      const limited = replies.rateLimit({ retryAfterMs: waitMs });
      return {
        ...limited,
        headers: {
          ...limited.headers,
          'x-ratelimit-limit-requests': String(burst),
          'x-ratelimit-remaining-requests': '0',
        },
      };
    };
  },
};
