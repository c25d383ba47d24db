import type { ErrorClassification } from '../../src/errors/ErrorClassification.js';
import type { RateLimitGate } from '../../src/rateLimit/index.js';
import { seededRandom } from '../../src/testing/seededRandom.js';

/**
 * A modelled server for gate simulations under fake timers: the same token bucket as
 * `schedules.tokenBucket` (burst tokens, starting full, refilled continuously; a 429 carries the
 * exact wait for the next token, rounded up), optionally refusing a fraction of requests at
 * random, reached over a link with a random delay each way.
 */
export interface SimulationOptions {
  ratePerSec: number;
  burst: number;
  /** One-way delay of each request and reply: from `minDelayMs` to `maxDelayMs`, uniform. */
  minDelayMs: number;
  maxDelayMs: number;
  seed: number;
  /** Sporadic 429s: this fraction of the requests the bucket accepts is refused at random. Default 0. */
  rejectFraction?: number;
  /** The retry-after-ms hint carried by a sporadic 429. Default 0. */
  rejectHintMs?: number;
}

/** What one simulated call did. */
export interface SimulatedCall {
  offeredAt: number;
  doneAt: number;
  requests: number;
}

/** A 429 as the errors module classifies it. */
export function rateLimitReason(retryAfterMs: number | undefined): ErrorClassification {
  return {
    kind: 'rate_limit',
    retryable: true,
    breakerFailure: false,
    status: 429,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    message: 'Rate limit reached',
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A modelled server plus a client loop that retries 429s through the gate until success. */
export function simulatedServer(options: SimulationOptions) {
  const random = seededRandom(options.seed);
  const sporadic = seededRandom(options.seed + 1);
  const delay = () => options.minDelayMs + random() * (options.maxDelayMs - options.minDelayMs);
  let tokens = options.burst;
  let last: number | undefined;
  /** Arrival times of the requests that reached the server. */
  const arrivals: number[] = [];

  const answer = (now: number): number | undefined => {
    arrivals.push(now);
    tokens = Math.min(options.burst, tokens + ((now - (last ?? now)) * options.ratePerSec) / 1000);
    last = now;
    if (tokens >= 1 - 1e-9) {
      tokens -= 1;
      if (sporadic() < (options.rejectFraction ?? 0)) return options.rejectHintMs ?? 0;
      return undefined;
    }
    return Math.ceil(((1 - tokens) * 1000) / options.ratePerSec);
  };

  /** One call: acquire, send, and on a 429 report it and go round again. */
  const call = async (gate: RateLimitGate): Promise<SimulatedCall> => {
    const offeredAt = Date.now();
    let requests = 0;
    for (;;) {
      await gate.acquire(undefined);
      requests++;
      await sleep(delay());
      const retryAfterMs = answer(Date.now());
      await sleep(delay());
      if (retryAfterMs === undefined) {
        gate.onSuccess();
        return { offeredAt, doneAt: Date.now(), requests };
      }
      gate.onRateLimited(rateLimitReason(retryAfterMs));
    }
  };

  return { call, arrivals };
}
