import { CircuitState, ConsecutiveBreaker, circuitBreaker, retry } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import {
  breakerOpenAIErrors,
  isBreakerOpenAIError,
  isRetryableOpenAIError,
  retryableOpenAIErrors,
} from '../../src/errors/filters.js';
import { SDK_MAJORS } from './sdkMajors.js';

const sdk = SDK_MAJORS[SDK_MAJORS.length - 1];
if (sdk === undefined) throw new Error('no openai major installed');
const httpError = (status: number, error: Record<string, unknown> = {}) =>
  sdk.errors.APIError.generate(status, { error }, undefined, sdk.headers({}) as never);

describe('cockatiel filters', () => {
  it('isRetryableOpenAIError and isBreakerOpenAIError follow the classification', () => {
    expect(isRetryableOpenAIError(httpError(429))).toBe(true);
    expect(isRetryableOpenAIError(httpError(429, { code: 'insufficient_quota' }))).toBe(false);
    expect(isRetryableOpenAIError(httpError(400))).toBe(false);
    expect(isBreakerOpenAIError(httpError(500))).toBe(true);
    expect(isBreakerOpenAIError(httpError(429))).toBe(false);
  });

  it('retryableOpenAIErrors retries a 503 and not a 400', async () => {
    const policy = retry(retryableOpenAIErrors, { maxAttempts: 2 });
    let calls = 0;
    const result = await policy.execute(() => {
      calls++;
      if (calls === 1) throw httpError(503);
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(2);

    calls = 0;
    const failed = await policy
      .execute(() => {
        calls++;
        throw httpError(400);
      })
      .catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(isRetryableOpenAIError(failed)).toBe(false);
  });

  it('breakerOpenAIErrors opens on 5xx, not on 429 or 4xx', async () => {
    const breaker = circuitBreaker(breakerOpenAIErrors, {
      halfOpenAfter: 60_000,
      breaker: new ConsecutiveBreaker(2),
    });
    for (const status of [429, 400, 429, 404]) {
      await breaker.execute(() => Promise.reject(httpError(status))).catch(() => undefined);
    }
    expect(breaker.state).toBe(CircuitState.Closed);
    for (const status of [500, 502]) {
      await breaker.execute(() => Promise.reject(httpError(status))).catch(() => undefined);
    }
    expect(breaker.state).toBe(CircuitState.Open);
  });
});
