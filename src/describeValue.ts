/**
 * A short, safe description of a bad value for an error message: a number or boolean as it is,
 * a string quoted and cut to 40 characters, otherwise only its type (an object's content could
 * be a prompt or a key).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
