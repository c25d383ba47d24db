import { isDigit } from './charCodes.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** An HTTP-date is 29 characters (IMF-fixdate); anything much longer is not one. */
const MAX_DATE_LENGTH = 40;

const isLetter = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
const isSeparator = (char: string) => char === ' ' || char === ',' || char === '-' || char === ':';

/** Splits into runs of letters and runs of digits; `undefined` on any other character. */
function tokenize(text: string): string[] | undefined {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (isSeparator(text.charAt(i))) {
      i++;
      continue;
    }
    const start = i;
    const letters = isLetter(text.charCodeAt(i));
    if (!letters && !isDigit(text.charCodeAt(i))) return undefined;
    while (letters ? isLetter(text.charCodeAt(i)) : isDigit(text.charCodeAt(i))) i++;
    tokens.push(text.slice(start, i));
  }
  return tokens;
}

function toEpochMs(
  year: number,
  monthIndex: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  const fullYear = year < 100 ? (year < 70 ? 2000 + year : 1900 + year) : year;
  const valid =
    monthIndex >= 0 &&
    day >= 1 &&
    day <= 31 &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 60 &&
    fullYear >= 1970 &&
    fullYear <= 9999;
  return valid ? Date.UTC(fullYear, monthIndex, day, hour, minute, second) : undefined;
}

/**
 * Parses an HTTP-date (RFC 9110: IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850
 * `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`) into epoch
 * milliseconds. A hand-written tokenizer, linear in the input's length; `undefined` for
 * anything else.
 */
export function parseHttpDate(text: string): number | undefined {
  if (text.length > MAX_DATE_LENGTH) return undefined;
  const tokens = tokenize(text.trim());
  if (tokens === undefined) return undefined;
  // The weekday name is optional here and never checked against the date.
  const first = tokens[0];
  const rest = first !== undefined && isLetter(first.charCodeAt(0)) ? tokens.slice(1) : tokens;
  // IMF-fixdate and RFC 850: day month year time GMT; asctime: month day time year.
  let fields: (string | undefined)[];
  if (rest[6]?.toUpperCase() === 'GMT' && rest.length === 7) fields = rest;
  else if (rest.length === 6) {
    const [mon, day, hour, minute, second, year] = rest;
    fields = [day, mon, year, hour, minute, second];
  } else return undefined;
  const [day, mon, year, hour, minute, second] = fields;
  // A letter run in a number's place reads as NaN (or Infinity), which every bound rejects.
  return toEpochMs(
    Number(year),
    MONTHS.indexOf(String(mon).toLowerCase()),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
}
