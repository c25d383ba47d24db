import { describe, expect, it } from 'vitest';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import {
  MAX_TIMER_MS,
  type PolicyOptions,
  validatePolicyOptions,
} from '../../src/pipeline/options.js';

const retry = { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };
const consecutive = { consecutiveFailures: 5, halfOpenAfterMs: 1_000 };
const sampling = {
  failureRatio: 0.5,
  minimumCalls: 10,
  samplingMs: 10_000,
  halfOpenAfterMs: 1_000,
};
const bulkhead = { maxConcurrent: 2, maxQueued: 3 };

/** The TypeError createPolicy throws for `options`, or a failure if it throws none. */
function errorOf(options: unknown): TypeError {
  try {
    createPolicy(options as PolicyOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return error as TypeError;
  }
  throw new Error(`no TypeError for ${JSON.stringify(options)}`);
}

describe('validatePolicyOptions', () => {
  it('accepts every stage at its limits and returns the options unchanged', () => {
    const options: PolicyOptions = {
      name: 'x',
      retry: {
        ...retry,
        maxRetries: 0,
        initialDelayMs: 0,
        maxDelayMs: 0,
        maxRetryAfterMs: Infinity,
      },
      timeout: { attemptMs: 1, totalMs: Infinity },
      circuitBreaker: { ...consecutive, consecutiveFailures: 1, maxHalfOpenAfterMs: MAX_TIMER_MS },
      bulkhead: { maxConcurrent: 1, maxQueued: Infinity },
      rateLimit: { requestsPerMinute: 60 },
    };
    expect(validatePolicyOptions(options)).toBe(options);
    expect(
      validatePolicyOptions({ circuitBreaker: sampling, bulkhead: { ...bulkhead, maxQueued: 0 } }),
    ).toEqual({
      circuitBreaker: sampling,
      bulkhead: { ...bulkhead, maxQueued: 0 },
    });
    expect(validatePolicyOptions({ timeout: {} })).toEqual({ timeout: {} });
    expect(
      validatePolicyOptions({
        retry: false,
        timeout: false,
        circuitBreaker: false,
        bulkhead: false,
        hedge: false,
        rateLimit: false,
      }),
    ).toBeDefined();
  });

  it.each([
    [42, 'options must be an object, got 42'],
    [null, 'options must be an object, got null'],
    [{ retries: 3 }, 'retries is not a policy option'],
    [{ name: 7 }, 'name must be a string, got 7'],
    [{ retry: true }, 'retry must be an object or false, got true'],
    [{ retry: { ...retry, maxRetry: 1 } }, 'retry.maxRetry is not a retry option'],
    [{ retry: { ...retry, maxRetries: -1 } }, 'retry.maxRetries must be an integer >= 0, got -1'],
    [{ retry: { ...retry, maxRetries: 1.5 } }, 'retry.maxRetries must be an integer >= 0, got 1.5'],
    [
      { retry: { ...retry, maxRetries: Number.NaN } },
      'retry.maxRetries must be an integer >= 0, got NaN',
    ],
    [
      { retry: { ...retry, maxRetries: Infinity } },
      'retry.maxRetries must be an integer >= 0, got Infinity',
    ],
    [{ retry: { ...retry, maxRetries: '3' } }, 'retry.maxRetries must be an integer >= 0, got "3"'],
    [
      { retry: { ...retry, maxRetries: undefined } },
      'retry.maxRetries must be an integer >= 0, got undefined',
    ],
    [
      { retry: { ...retry, initialDelayMs: -1 } },
      'retry.initialDelayMs must be a number of milliseconds >= 0',
    ],
    [
      { retry: { ...retry, maxDelayMs: Infinity } },
      'retry.maxDelayMs must be a number of milliseconds >= 0 and <= 2147483647, got Infinity',
    ],
    [
      { retry: { ...retry, maxDelayMs: MAX_TIMER_MS + 1 } },
      `retry.maxDelayMs must be a number of milliseconds >= 0 and <= ${MAX_TIMER_MS}, got ${MAX_TIMER_MS + 1}`,
    ],
    [
      { retry: { ...retry, maxRetryAfterMs: Number.NaN } },
      'retry.maxRetryAfterMs must be a number of milliseconds >= 0, or Infinity, got NaN',
    ],
    [{ retry: { ...retry, shouldRetry: true } }, 'retry.shouldRetry must be a function, got true'],
    [
      { retry: { ...retry, maxDelayMs: 50 } },
      'retry.maxDelayMs must be >= retry.initialDelayMs (100), got 50',
    ],
    [
      { timeout: { attemptMs: 0 } },
      'timeout.attemptMs must be a number of milliseconds > 0, or Infinity, got 0',
    ],
    [
      { timeout: { totalMs: -5 } },
      'timeout.totalMs must be a number of milliseconds > 0, or Infinity, got -5',
    ],
    [
      { timeout: { attemptMs: 2_000, totalMs: 1_000 } },
      'timeout.attemptMs must be <= timeout.totalMs (1000), got 2000',
    ],
    [
      { timeout: { attemptMs: Infinity, totalMs: 1_000 } },
      'timeout.attemptMs must be <= timeout.totalMs (1000), got Infinity',
    ],
    [{ timeout: { idleMs: 5 } }, 'timeout.idleMs is not a timeout option'],
    [{ circuitBreaker: 5 }, 'circuitBreaker must be an object or false, got 5'],
    [
      { circuitBreaker: { halfOpenAfterMs: 1_000 } },
      'circuitBreaker.consecutiveFailures must be an integer >= 1, got undefined',
    ],
    [
      { circuitBreaker: { ...consecutive, consecutiveFailures: 0 } },
      'circuitBreaker.consecutiveFailures must be an integer >= 1, got 0',
    ],
    [
      { circuitBreaker: { ...consecutive, halfOpenAfterMs: 0 } },
      'circuitBreaker.halfOpenAfterMs must be a number of milliseconds > 0',
    ],
    [
      { circuitBreaker: { ...consecutive, maxHalfOpenAfterMs: 10 } },
      'circuitBreaker.maxHalfOpenAfterMs must be >= circuitBreaker.halfOpenAfterMs (1000), got 10',
    ],
    [
      { circuitBreaker: { ...consecutive, failureRatio: 0.5 } },
      'circuitBreaker.consecutiveFailures cannot be combined with failureRatio, minimumCalls and samplingMs, got 5',
    ],
    [
      { circuitBreaker: { ...sampling, failureRatio: 1 } },
      'circuitBreaker.failureRatio must be a number between 0 and 1 (exclusive), got 1',
    ],
    [
      { circuitBreaker: { ...sampling, failureRatio: 0 } },
      'circuitBreaker.failureRatio must be a number between 0 and 1 (exclusive), got 0',
    ],
    [
      { circuitBreaker: { ...sampling, minimumCalls: 0 } },
      'circuitBreaker.minimumCalls must be an integer >= 1, got 0',
    ],
    [
      { circuitBreaker: { ...sampling, samplingMs: Infinity } },
      'circuitBreaker.samplingMs must be a number of milliseconds > 0',
    ],
    [
      { circuitBreaker: { ...sampling, threshold: 1 } },
      'circuitBreaker.threshold is not a circuitBreaker option',
    ],
    [
      { bulkhead: { ...bulkhead, maxConcurrent: 0 } },
      'bulkhead.maxConcurrent must be an integer >= 1, got 0',
    ],
    [
      { bulkhead: { ...bulkhead, maxConcurrent: Infinity } },
      'bulkhead.maxConcurrent must be an integer >= 1, got Infinity',
    ],
    [
      { bulkhead: { ...bulkhead, maxQueued: -1 } },
      'bulkhead.maxQueued must be an integer >= 0 or Infinity, got -1',
    ],
    [
      { bulkhead: { maxConcurrent: 1 } },
      'bulkhead.maxQueued must be an integer >= 0 or Infinity, got undefined',
    ],
    [{ bulkhead: [] }, 'bulkhead must be an object or false, got an array'],
    [
      { rateLimit: { requestsPerMinute: -1 } },
      'rateLimit.requestsPerMinute must be a finite number > 0, got -1',
    ],
    [{ rateLimit: { perMinute: 1 } }, 'rateLimit.perMinute is not a rate-limit option'],
  ])('rejects %j: %s', (options, message) => {
    expect(errorOf(options).message).toContain(message);
  });

  it('names every known option when it meets an unknown one', () => {
    expect(() => validatePolicyOptions({ retries: 3 })).toThrow(
      /^retries is not a policy option \(known: name, retry, retryBudget, timeout, circuitBreaker, bulkhead, (\w+, )*rateLimit\), got 3$/,
    );
  });

  it('names the circuit breaker for a value that is not an object, null and arrays included', () => {
    for (const [value, shown] of [
      [null, 'null'],
      [[], 'an array'],
      [true, 'true'],
    ] as const) {
      expect(() => validatePolicyOptions({ circuitBreaker: value })).toThrow(
        new TypeError(`circuitBreaker must be an object or false, got ${shown}`),
      );
    }
  });

  it('refuses a consecutive breaker combined with any one field of the sampling kind', () => {
    for (const field of ['failureRatio', 'minimumCalls', 'samplingMs']) {
      expect(() =>
        validatePolicyOptions({ circuitBreaker: { ...consecutive, [field]: 1 } }),
      ).toThrow(
        new TypeError(
          'circuitBreaker.consecutiveFailures cannot be combined with failureRatio, minimumCalls and samplingMs, got 5',
        ),
      );
    }
  });

  it('checks the rate-limit options itself, before any gate is built', () => {
    expect(() => validatePolicyOptions({ rateLimit: { requestsPerMinute: -1 } })).toThrow(
      'rateLimit.requestsPerMinute must be a finite number > 0, got -1',
    );
  });

  it('blames timeout.attemptMs, the lower one, when it exceeds timeout.totalMs', () => {
    expect(() => validatePolicyOptions({ timeout: { attemptMs: 2_000, totalMs: 1_000 } })).toThrow(
      new TypeError('timeout.attemptMs must be <= timeout.totalMs (1000), got 2000'),
    );
  });
});
