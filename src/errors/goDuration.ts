import { isDigit } from './charCodes.js';

/** Milliseconds per Go duration unit (`time.ParseDuration` units). */
const UNIT_MS: ReadonlyMap<string, number> = new Map([
  ['ns', 1e-6],
  ['us', 1e-3],
  ['\u00b5s', 1e-3],
  ['\u03bcs', 1e-3],
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
]);

/** The longest duration text parsed; real values (`1h2m3.5s`) are a few characters. */
const MAX_DURATION_LENGTH = 64;

/**
 * Parses a Go-style duration as OpenAI sends it in `x-ratelimit-reset-*` headers (`1s`, `6m0s`,
 * `12ms`, `1h2m3.5s`, `0`) into milliseconds. A hand-written single pass, linear in the input's
 * length. Returns `undefined` for a sign, a missing unit, an unknown unit or any other text.
 */
export function parseGoDurationMs(text: string): number | undefined {
  const value = text.trim();
  if (value.length === 0 || value.length > MAX_DURATION_LENGTH) return undefined;
  if (value === '0') return 0;
  let total = 0;
  let i = 0;
  while (i < value.length) {
    const numberStart = i;
    let digits = 0;
    while (isDigit(value.charCodeAt(i))) {
      i++;
      digits++;
    }
    if (value[i] === '.') {
      i++;
      while (isDigit(value.charCodeAt(i))) {
        i++;
        digits++;
      }
    }
    if (digits === 0) return undefined;
    const amount = Number(value.slice(numberStart, i));
    const unitStart = i;
    while (i < value.length && !isDigit(value.charCodeAt(i)) && value[i] !== '.') i++;
    const unitMs = UNIT_MS.get(value.slice(unitStart, i));
    if (unitMs === undefined) return undefined;
    total += amount * unitMs;
  }
  // At most 64 characters: never large enough to overflow to Infinity.
  return total;
}
