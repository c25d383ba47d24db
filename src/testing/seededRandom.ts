import { isFiniteNumber } from '../isFiniteNumber.js';
import { refuse } from '../validate.js';
import { showValue } from './showValue.js';

/**
 * A seeded source of random numbers in [0, 1) (mulberry32): the same seed gives the same
 * sequence, so schedules and chaos that draw from it are reproducible. `seed` must be a finite
 * number; its integer part (mod 2^32) is used.
 */
export function seededRandom(seed: number): () => number {
  if (!isFiniteNumber(seed)) refuse('seed', 'a finite number', seed, showValue);
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
