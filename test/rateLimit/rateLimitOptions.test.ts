import { describe, expect, it } from 'vitest';
import { RateLimitGate } from '../../src/rateLimit/index.js';
import { validateRateLimitOptions } from '../../src/rateLimit/rateLimitOptions.js';

describe('validateRateLimitOptions', () => {
  it('accepts {} and every option with a good value, returning the options', () => {
    const options = {
      requestsPerMinute: 1200,
      tokensPerMinute: 90_000,
      estimateTokens: (declared: number | undefined) => declared ?? 100,
      countTokens: (text: string) => text.length,
      increasePerSec: 0,
      decreaseFactor: 1,
      minRatePerSec: 0.1,
      forgetAfterMs: 0,
      backoffMs: 250,
      maxWaitMs: 30_000,
    };
    expect(validateRateLimitOptions(options)).toBe(options);
    expect(validateRateLimitOptions({})).toEqual({});
  });

  it('treats an option set to undefined as not given', () => {
    const options = {
      requestsPerMinute: undefined,
      estimateTokens: undefined,
      decreaseFactor: 0.5,
    };
    expect(validateRateLimitOptions(options)).toBe(options);
  });

  it.each([
    [{ requestsPerMinute: -1 }, 'rateLimit.requestsPerMinute must be a finite number > 0, got -1'],
    [{ requestsPerMinute: 0 }, 'rateLimit.requestsPerMinute must be a finite number > 0, got 0'],
    [
      { tokensPerMinute: Number.NaN },
      'rateLimit.tokensPerMinute must be a finite number > 0, got NaN',
    ],
    [
      { tokensPerMinute: Number.POSITIVE_INFINITY },
      'rateLimit.tokensPerMinute must be a finite number > 0, got Infinity',
    ],
    [
      { requestsPerMinute: '60' },
      'rateLimit.requestsPerMinute must be a finite number > 0, got "60"',
    ],
    [{ increasePerSec: -0.5 }, 'rateLimit.increasePerSec must be a finite number >= 0, got -0.5'],
    [{ increasePerSec: '1' }, 'rateLimit.increasePerSec must be a finite number >= 0, got "1"'],
    [
      { increasePerSec: Number.POSITIVE_INFINITY },
      'rateLimit.increasePerSec must be a finite number >= 0, got Infinity',
    ],
    [
      { increasePerSec: Number.NaN },
      'rateLimit.increasePerSec must be a finite number >= 0, got NaN',
    ],
    [{ decreaseFactor: '0.5' }, 'rateLimit.decreaseFactor must be a number in (0, 1], got "0.5"'],
    [
      { decreaseFactor: Number.NaN },
      'rateLimit.decreaseFactor must be a number in (0, 1], got NaN',
    ],
    [{ backoffMs: true }, 'rateLimit.backoffMs must be a finite number > 0, got true'],
    [{ decreaseFactor: 0 }, 'rateLimit.decreaseFactor must be a number in (0, 1], got 0'],
    [{ decreaseFactor: 1.5 }, 'rateLimit.decreaseFactor must be a number in (0, 1], got 1.5'],
    [{ minRatePerSec: 0 }, 'rateLimit.minRatePerSec must be a finite number > 0, got 0'],
    [{ forgetAfterMs: -1 }, 'rateLimit.forgetAfterMs must be a finite number >= 0, got -1'],
    [
      { forgetAfterMs: Number.POSITIVE_INFINITY },
      'rateLimit.forgetAfterMs must be a finite number >= 0, got Infinity',
    ],
    [{ backoffMs: null }, 'rateLimit.backoffMs must be a finite number > 0, got null'],
    [{ maxWaitMs: [] }, 'rateLimit.maxWaitMs must be a finite number > 0, got an array'],
    [
      { tokensPerMinute: 10, estimateTokens: 5 },
      'rateLimit.estimateTokens must be a function, got 5',
    ],
    [{ countTokens: 'cl100k' }, 'rateLimit.countTokens must be a function, got "cl100k"'],
  ])('rejects %o', (options, message) => {
    expect(() => validateRateLimitOptions(options)).toThrow(new TypeError(message));
  });

  it('rejects an unknown option, naming it and its value, under the given path', () => {
    expect(() => validateRateLimitOptions({ rpm: 60 }, 'policy.rateLimit')).toThrow(
      /^policy\.rateLimit\.rpm is not a rate-limit option \(known: requestsPerMinute, .*\), got 60$/,
    );
  });

  it('rejects estimateTokens without tokensPerMinute, and a non-object', () => {
    expect(() => validateRateLimitOptions({ estimateTokens: () => 1 })).toThrow(
      /rateLimit\.estimateTokens needs rateLimit\.tokensPerMinute/,
    );
    expect(() => validateRateLimitOptions(null)).toThrow(
      new TypeError('rateLimit must be an object, got null'),
    );
    expect(() => validateRateLimitOptions(true)).toThrow(
      new TypeError('rateLimit must be an object, got true'),
    );
  });

  it('is what the gate constructor runs', () => {
    expect(() => new RateLimitGate({ requestsPerMinute: -5 }, () => {})).toThrow(
      new TypeError('rateLimit.requestsPerMinute must be a finite number > 0, got -5'),
    );
  });
});
