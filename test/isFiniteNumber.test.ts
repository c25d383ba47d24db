import { describe, expect, it } from 'vitest';
import { isFiniteNumber } from '../src/isFiniteNumber.js';

describe('isFiniteNumber', () => {
  it('accepts finite numbers, negative and zero included', () => {
    for (const value of [0, -0, 1.5, -3, Number.MAX_VALUE])
      expect(isFiniteNumber(value)).toBe(true);
  });

  it('refuses NaN, the infinities and anything that is not a number, numeric strings included', () => {
    for (const value of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      '5',
      null,
      undefined,
      true,
      [1],
      5n,
    ])
      expect(isFiniteNumber(value)).toBe(false);
  });
});
