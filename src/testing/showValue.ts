/**
 * How the test kit shows a bad value in its TypeErrors: a string quoted, an object as JSON (test
 * data, never a secret), a function as `a function`, anything else as it is.
 */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}
