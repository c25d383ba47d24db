import { describe, expect, it } from 'vitest';
import { countPerBucket, percentile } from '../../bench/stats.js';

describe('percentile', () => {
  it('is the nearest rank: the p99 of 1..100 is 99, the p50 is 50', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
  });

  it('rounds the rank up on small samples and leaves its input alone', () => {
    const values = [30, 10, 20];
    expect(percentile(values, 50)).toBe(20);
    expect(percentile(values, 99)).toBe(30);
    expect(percentile(values, 34)).toBe(20);
    expect(values).toEqual([30, 10, 20]);
  });

  it('is undefined for no values and refuses a p outside 0..100', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(() => percentile([1], 101)).toThrow(/p must be between 0 and 100, got 101/);
    expect(() => percentile([1], Number.NaN)).toThrow(TypeError);
  });
});

describe('countPerBucket', () => {
  it('counts times per bucket, half-open, ignoring those outside [0, end)', () => {
    expect(countPerBucket([0, 99.9, 100, 250, 299, -1, 300], 100, 300)).toEqual([2, 1, 2]);
  });

  it('has one bucket per started interval, all zero without times', () => {
    expect(countPerBucket([], 100, 250)).toEqual([0, 0, 0]);
    expect(() => countPerBucket([1], 0, 10)).toThrow(/bucketMs must be positive, got 0/);
  });
});
