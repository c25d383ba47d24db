import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/testing/index.js';

describe('seededRandom', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 20 }, () => random());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws in [0, 1), spread over the range', () => {
    const random = seededRandom(7);
    const values = Array.from({ length: 10_000 }, () => random());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(values.filter((v) => v < 0.1).length).toBeGreaterThan(900);
    expect(values.filter((v) => v < 0.1).length).toBeLessThan(1100);
  });

  it('refuses a seed that is not a finite number', () => {
    expect(() => seededRandom(Number.NaN)).toThrow(/seed must be a finite number, got NaN/);
    expect(() => seededRandom('1' as never)).toThrow(TypeError);
  });
});
