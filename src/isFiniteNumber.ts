/**
 * Whether `value` is a finite number (not NaN, not ±Infinity, not a numeric string): a type guard
 * for validating numbers given at run time.
 */
export function isFiniteNumber(value: unknown): value is number {
  return Number.isFinite(value);
}
