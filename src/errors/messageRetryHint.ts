import { isDigit } from './charCodes.js';
import { parseGoDurationMs } from './goDuration.js';

/** The phrases servers put before a wait in their error messages. */
const PHRASES = ['try again in ', 'retry after ', 'retry in '];

/** Milliseconds per unit word, for waits written as `33 seconds`. */
const UNIT_WORDS: ReadonlyMap<string, number> = new Map([
  ['ms', 1],
  ['millisecond', 1],
  ['milliseconds', 1],
  ['s', 1000],
  ['sec', 1000],
  ['secs', 1000],
  ['second', 1000],
  ['seconds', 1000],
  ['m', 60_000],
  ['min', 60_000],
  ['mins', 60_000],
  ['minute', 60_000],
  ['minutes', 60_000],
  ['h', 3_600_000],
  ['hour', 3_600_000],
  ['hours', 3_600_000],
]);

/** Only the start of a message is searched; server messages put the wait in the first sentences. */
const SEARCHED_LENGTH = 4096;

const isLetter = (code: number) => code >= 97 && code <= 122;
const isDurationChar = (char: string, code: number) =>
  isDigit(code) || isLetter(code) || char === '.' || char === '\u00b5' || char === '\u03bc';

/** Reads the wait that starts at `start` in the lower-cased `text`, or `undefined`. */
function waitAt(text: string, start: number): number | undefined {
  let i = start;
  while (text.charAt(i) === ' ') i++;
  const tokenStart = i;
  while (isDurationChar(text.charAt(i), text.charCodeAt(i))) i++;
  let tokenEnd = i;
  while (tokenEnd > tokenStart && text.charAt(tokenEnd - 1) === '.') tokenEnd--;
  const token = text.slice(tokenStart, tokenEnd);
  const compact = parseGoDurationMs(token);
  if (compact !== undefined) return compact;
  // `33 seconds`: a bare number, one space, a unit word.
  let digitsEnd = 0;
  while (isDigit(token.charCodeAt(digitsEnd)) || token[digitsEnd] === '.') digitsEnd++;
  if (digitsEnd !== token.length || text.charAt(tokenEnd) !== ' ') return undefined;
  const amount = Number(token);
  let wordEnd = tokenEnd + 1;
  while (isLetter(text.charCodeAt(wordEnd))) wordEnd++;
  const unitMs = UNIT_WORDS.get(text.slice(tokenEnd + 1, wordEnd));
  return unitMs === undefined || Number.isNaN(amount) ? undefined : amount * unitMs;
}

/**
 * Finds a wait in a server's error message: "Please try again in 1.4s", "try again in 20ms",
 * "try again in 6m0s", "Please retry after 33 seconds". Returns milliseconds, or `undefined` when
 * the message names no wait. Searches only the first 4096 characters, without regular expressions.
 */
export function retryHintInMessage(message: string): number | undefined {
  const text = message.slice(0, SEARCHED_LENGTH).toLowerCase();
  for (const phrase of PHRASES) {
    let at = text.indexOf(phrase);
    while (at !== -1) {
      const wait = waitAt(text, at + phrase.length);
      if (wait !== undefined) return wait;
      at = text.indexOf(phrase, at + phrase.length);
    }
  }
  return undefined;
}
