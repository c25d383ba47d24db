/** Whether a UTF-16 code is an ASCII digit, `0` to `9` (the hand-written parsers' building block). */
export const isDigit = (code: number): boolean => code >= 48 && code <= 57;
