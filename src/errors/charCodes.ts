/**
 * Whether a UTF-16 code is an ASCII digit, `0` to `9` (the hand-written parsers' building block).
 * `false` for `NaN`, which `charCodeAt` gives past the end of a string, so a scan that stops at
 * the first non-digit also stops at the end without a separate bounds check.
 */
export const isDigit = (code: number): boolean => code >= 48 && code <= 57;
