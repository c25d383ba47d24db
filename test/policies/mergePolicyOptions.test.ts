import { describe, expect, it } from 'vitest';
import type { PolicyOptions } from '../../src/pipeline/options.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { mergePolicyOptions } from '../../src/policies/mergePolicyOptions.js';

const DEFAULTS: PolicyOptions = {
  name: 'preset',
  retry: { maxRetries: 4, initialDelayMs: 1_000, maxDelayMs: 60_000, maxRetryAfterMs: 60_000 },
  timeout: { attemptMs: 10_000, totalMs: 60_000 },
  circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 1_000, maxHalfOpenAfterMs: 60_000 },
  bulkhead: false,
};

describe('mergePolicyOptions', () => {
  it('merges each stage field by field and keeps every other default', () => {
    expect(
      mergePolicyOptions(DEFAULTS, { retry: { maxRetries: 1 }, timeout: { attemptMs: 5_000 } }),
    ).toEqual({
      ...DEFAULTS,
      retry: { ...(DEFAULTS.retry as object), maxRetries: 1 },
      timeout: { attemptMs: 5_000, totalMs: 60_000 },
    });
  });

  it('turns a stage off with false and on with a whole object', () => {
    expect(
      mergePolicyOptions(DEFAULTS, { retry: false, bulkhead: { maxConcurrent: 2, maxQueued: 0 } }),
    ).toEqual({
      ...DEFAULTS,
      retry: false,
      bulkhead: { maxConcurrent: 2, maxQueued: 0 },
    });
  });

  it('replaces the breaker kind when the override names the other kind', () => {
    const merged = mergePolicyOptions(DEFAULTS, {
      circuitBreaker: { failureRatio: 0.2, minimumCalls: 10, samplingMs: 30_000 },
    });
    expect(merged.circuitBreaker).toEqual({
      failureRatio: 0.2,
      minimumCalls: 10,
      samplingMs: 30_000,
      halfOpenAfterMs: 1_000,
      maxHalfOpenAfterMs: 60_000,
    });
    expect(
      mergePolicyOptions(DEFAULTS, { circuitBreaker: { halfOpenAfterMs: 2_000 } }).circuitBreaker,
    ).toEqual({
      consecutiveFailures: 5,
      halfOpenAfterMs: 2_000,
      maxHalfOpenAfterMs: 60_000,
    });
  });

  it('drops the preset breaker kind when the override names only one field of the other kind', () => {
    expect(
      mergePolicyOptions(DEFAULTS, { circuitBreaker: { failureRatio: 0.3 } }).circuitBreaker,
    ).toEqual({ failureRatio: 0.3, halfOpenAfterMs: 1_000, maxHalfOpenAfterMs: 60_000 });
  });

  it('refuses an override naming fields of both breaker kinds instead of dropping one', () => {
    expect(() =>
      mergePolicyOptions(DEFAULTS, { circuitBreaker: { consecutiveFailures: 3, samplingMs: 10 } }),
    ).toThrow(
      new TypeError(
        'circuitBreaker.consecutiveFailures cannot be combined with failureRatio, minimumCalls and samplingMs, got 3',
      ),
    );
  });

  it('merges a stage given as an object without a prototype field by field', () => {
    const retry = Object.assign(Object.create(null), { maxRetries: 1 });
    expect(mergePolicyOptions(DEFAULTS, { retry }).retry).toEqual({
      ...(DEFAULTS.retry as object),
      maxRetries: 1,
    });
  });

  it('replaces an option given as a class instance whole instead of merging its fields', () => {
    class Bulkhead {
      maxConcurrent = 2;
    }
    const bulkhead = new Bulkhead();
    const defaults = { ...DEFAULTS, bulkhead: { maxConcurrent: 1, maxQueued: 5 } };
    expect(mergePolicyOptions(defaults, { bulkhead } as never).bulkhead).toBe(bulkhead);
  });

  it("checks breaker kinds only in the breaker's stage: other stages name their own unknown fields", () => {
    expect(() =>
      createChatPolicy({ retry: { consecutiveFailures: 3, samplingMs: 10 } } as never),
    ).toThrow(/^retry\.consecutiveFailures is not a retry option/);
  });

  it('leaves the defaults untouched and skips undefined overrides', () => {
    const before = structuredClone(DEFAULTS);
    const merged = mergePolicyOptions(DEFAULTS, {
      retry: { maxRetries: 0 },
      name: undefined,
      timeout: undefined,
    } as never);
    expect(DEFAULTS).toEqual(before);
    expect(merged.name).toBe('preset');
    expect(merged.timeout).toBe(DEFAULTS.timeout);
    expect(mergePolicyOptions(DEFAULTS).name).toBe('preset');
  });

  it('throws a TypeError for overrides that are not an object', () => {
    expect(() => mergePolicyOptions(DEFAULTS, 3 as never)).toThrow(
      new TypeError('overrides must be an object, got 3'),
    );
    expect(() => mergePolicyOptions(DEFAULTS, 'retry' as never)).toThrow(
      new TypeError('overrides must be an object, got "retry"'),
    );
    expect(() => mergePolicyOptions(DEFAULTS, null as never)).toThrow(
      new TypeError('overrides must be an object, got null'),
    );
    expect(() => mergePolicyOptions(DEFAULTS, [] as never)).toThrow(
      new TypeError('overrides must be an object, got an array'),
    );
  });
});
