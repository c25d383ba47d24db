import { APIConnectionTimeoutError, APIError } from 'openai';
import { sleep } from '../src/signals.js';

/** The naive loop's attempts, its cap on one wait, and its base wait. */
const ATTEMPTS = 5;
const MAX_WAIT_MS = 60_000;
const BASE_WAIT_MS = 1_000;

/** The errors the naive loop retries: rate limits (any 429), timeouts and 5xx. */
function isNaiveRetryable(error: unknown): boolean {
  if (error instanceof APIConnectionTimeoutError) return true;
  if (!(error instanceof APIError) || error.status === undefined) return false;
  return error.status === 429 || error.status >= 500;
}

/**
 * The retry loop most code hand-writes, the bench's second baseline: up to 5 attempts, retrying
 * rate-limit (429), timeout and 5xx errors after waits of 1 s * 2^n plus up to 1 s of random
 * jitter, capped at 60 s, ignoring the server's retry-after hints. The per-attempt timeout is the
 * openai client's own `timeout` option (the bench gives it `maxRetries: 0`). A wait ends early,
 * rejecting, when `signal` aborts.
 */
export async function naiveRetry<T>(attempt: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n === ATTEMPTS - 1 || !isNaiveRetryable(error)) throw error;
      await sleep(Math.min(MAX_WAIT_MS, BASE_WAIT_MS * 2 ** n + Math.random() * 1000), signal);
    }
  }
}
