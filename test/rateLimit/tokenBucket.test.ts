import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/rateLimit/tokenBucket.js';

describe('TokenBucket', () => {
  it('says 0 (never a negative wait) while it holds the cost, and the exact wait once it does not', () => {
    const bucket = new TokenBucket(10, 5, 1_000); // 10 a second, 5 at most, starts full
    expect(bucket.waitMs(1, 1_000)).toBe(0);
    expect(bucket.waitMs(5, 1_000)).toBe(0);
    bucket.take(4, 1_000); // 1 left
    expect(bucket.waitMs(1, 1_000)).toBe(0);
    expect(bucket.waitMs(3, 1_000)).toBe(200); // 2 missing at 10 a second
  });

  it('caps the refill at the capacity', () => {
    const bucket = new TokenBucket(10, 5, 0);
    bucket.take(5, 0);
    expect(bucket.waitMs(5, 10_000)).toBe(0);
    bucket.take(5, 10_000); // a long idle time saved up 5 at most, not 100
    expect(bucket.waitMs(1, 10_000)).toBe(100);
  });

  it('loses nothing when the clock goes back, and refills from the later reading', () => {
    const bucket = new TokenBucket(10, 5, 1_000);
    bucket.take(5, 1_000);
    expect(bucket.waitMs(1, 500)).toBe(100); // the clock stepped back 500 ms: still 100 ms to go
    expect(bucket.waitMs(1, 1_050)).toBe(50);
  });

  it('lets a cost above the capacity go once full, leaving a debt', () => {
    const bucket = new TokenBucket(10, 5, 0);
    expect(bucket.waitMs(8, 0)).toBe(0);
    bucket.take(8, 0); // level -3
    expect(bucket.waitMs(1, 0)).toBe(400);
  });

  it('holdUntil drops saved-up tokens so the next one comes at that time, then one per step', () => {
    const bucket = new TokenBucket(10, 5, 0);
    bucket.holdUntil(1_000, 0);
    expect(bucket.waitMs(1, 0)).toBe(1_000);
    bucket.take(1, 1_000);
    expect(bucket.waitMs(1, 1_000)).toBe(100);
  });
});
