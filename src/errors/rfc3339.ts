import { isDigit } from './charCodes.js';

/** `2026-11-29T20:40:12.345+01:00` is 29 characters; anything much longer is not a timestamp. */
const MAX_TIMESTAMP_LENGTH = 40;

/** The number of `count` digits at `at`, or `NaN` when a character there is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return Number.NaN;
    value = value * 10 + (code - 48);
  }
  return value;
}

/** The offset from UTC in milliseconds of `Z`, `+01:00` or `-0530` at `at` (the rest of the text). */
function offsetMs(text: string, at: number): number {
  const sign = text.charAt(at);
  if ((sign === 'Z' || sign === 'z') && at + 1 === text.length) return 0;
  if (sign !== '+' && sign !== '-') return Number.NaN;
  const colon = text.charAt(at + 3) === ':';
  if (at + (colon ? 6 : 5) !== text.length) return Number.NaN;
  const hours = digitsAt(text, at + 1, 2);
  const minutes = digitsAt(text, at + (colon ? 4 : 3), 2);
  if (!(hours <= 23 && minutes <= 59)) return Number.NaN;
  return (sign === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

/**
 * Parses an RFC 3339 timestamp, as Anthropic sends it in `anthropic-ratelimit-*-reset` headers
 * (`2026-11-29T20:40:12Z`, with optional fractional seconds and a `+hh:mm` offset), into epoch
 * milliseconds. A hand-written single pass, linear in the input's length; `undefined` for
 * anything else.
 */
export function parseRfc3339(text: string): number | undefined {
  const value = text.trim();
  if (value.length > MAX_TIMESTAMP_LENGTH) return undefined;
  const separator = value.charAt(10);
  if (value.charAt(4) !== '-' || value.charAt(7) !== '-') return undefined;
  if (separator !== 'T' && separator !== 't' && separator !== ' ') return undefined;
  if (value.charAt(13) !== ':' || value.charAt(16) !== ':') return undefined;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  let at = 19;
  let fraction = 0;
  if (value.charAt(at) === '.') {
    const start = ++at;
    while (isDigit(value.charCodeAt(at))) at++;
    if (at === start) return undefined;
    fraction = Number(`0.${value.slice(start, at)}`) * 1000;
  }
  const offset = offsetMs(value, at);
  const valid =
    year >= 1970 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 60 &&
    !Number.isNaN(offset);
  if (!valid) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second) + fraction - offset;
}
