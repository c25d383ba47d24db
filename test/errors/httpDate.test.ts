import { describe, expect, it } from 'vitest';
import { parseHttpDate } from '../../src/errors/httpDate.js';

const epoch = Date.UTC(1994, 10, 6, 8, 49, 37);

describe('parseHttpDate', () => {
  it.each([
    ['Sun, 06 Nov 1994 08:49:37 GMT'],
    ['Sunday, 06-Nov-94 08:49:37 GMT'],
    ['Sun Nov  6 08:49:37 1994'],
    ['06 Nov 1994 08:49:37 GMT'],
    ['sun, 06 nov 1994 08:49:37 gmt'],
  ])('parses %j', (text) => {
    expect(parseHttpDate(text)).toBe(epoch);
  });

  it('maps two-digit years below 70 to 20xx', () => {
    expect(parseHttpDate('Friday, 01-Jan-27 00:00:00 GMT')).toBe(Date.UTC(2027, 0, 1));
  });

  it.each([
    '',
    'tomorrow',
    '2',
    'Sun, 06 Nov 1994 08:49:37 PST',
    'Sun, 06 Foo 1994 08:49:37 GMT',
    'Sun, 32 Nov 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 24:49:37 GMT',
    'Sun, 06 Nov 1994 08:60:37 GMT',
    'Sun, 06 Nov 1994 08:49:37 GMT+1',
    'Sun, 06 Nov 1994 08.49.37 GMT',
    '2026-11-25T04:00:00Z',
    `Sun, 06 Nov 1994 08:49:37 GMT${' '.repeat(20)}`,
  ])('rejects %j', (text) => {
    expect(parseHttpDate(text)).toBeUndefined();
  });

  it('reads every month name in any case', () => {
    const months = [
      'Jan',
      'Feb',
      'Mar',
      'Apr',
      'May',
      'Jun',
      'Jul',
      'Aug',
      'Sep',
      'Oct',
      'Nov',
      'Dec',
    ];
    months.forEach((name, index) => {
      expect(parseHttpDate(`06 ${name} 1994 08:49:37 GMT`)).toBe(
        Date.UTC(1994, index, 6, 8, 49, 37),
      );
      expect(parseHttpDate(`06 ${name.toUpperCase()} 1994 08:49:37 GMT`)).toBe(
        Date.UTC(1994, index, 6, 8, 49, 37),
      );
    });
  });

  it('takes any ASCII letters as the unchecked weekday, and nothing else', () => {
    for (const weekday of ['AZaz', 'Zulu', 'azAZ']) {
      expect(parseHttpDate(`${weekday}, 06 Nov 1994 08:49:37 GMT`)).toBe(epoch);
    }
    for (const weekday of ['@', '[', '`', '{', 'S\u00fcn', 'Sun_']) {
      expect(parseHttpDate(`${weekday}, 06 Nov 1994 08:49:37 GMT`)).toBeUndefined();
    }
  });

  it('accepts the last valid value of each field and rejects the next', () => {
    expect(parseHttpDate('31 Dec 1999 23:59:60 GMT')).toBe(Date.UTC(1999, 11, 31, 23, 59, 60));
    expect(parseHttpDate('01 Jan 1970 00:00:00 GMT')).toBe(0);
    expect(parseHttpDate('01 Jan 9999 00:00:00 GMT')).toBe(Date.UTC(9999, 0, 1));
    for (const text of [
      '00 Jan 1995 00:00:00 GMT',
      '32 Jan 1995 00:00:00 GMT',
      '01 Jan 1995 24:00:00 GMT',
      '01 Jan 1995 00:60:00 GMT',
      '01 Jan 1995 00:00:61 GMT',
      '31 Dec 1969 23:59:59 GMT',
      '01 Jan 10000 00:00:00 GMT',
      '01 Jan 100 00:00:00 GMT',
    ]) {
      expect(parseHttpDate(text)).toBeUndefined();
    }
  });

  it('maps two-digit years 70 to 99 to 19xx and 0 to 69 to 20xx', () => {
    expect(parseHttpDate('Thursday, 01-Jan-70 00:00:00 GMT')).toBe(0);
    expect(parseHttpDate('Friday, 31-Dec-99 00:00:00 GMT')).toBe(Date.UTC(1999, 11, 31));
    expect(parseHttpDate('Tuesday, 31-Dec-69 00:00:00 GMT')).toBe(Date.UTC(2069, 11, 31));
    expect(parseHttpDate('Saturday, 01-Jan-00 00:00:00 GMT')).toBe(Date.UTC(2000, 0, 1));
  });

  it('rejects words where numbers belong, Infinity included', () => {
    for (const text of [
      'Sun, Infinity Nov 1994 08:49:37 GMT',
      'Sun, 06 Nov Infinity 08:49:37 GMT',
      'Sun, 06 Nov 1994 Infinity:49:37 GMT',
      'Sun, 06 Nov 1994 08:Infinity:37 GMT',
      'Sun, 06 Nov 1994 08:49:Infinity GMT',
      'Sun, 06 1994 Nov 08:49:37 GMT',
      'Sun Nov Nov 08:49:37 1994',
    ]) {
      expect(parseHttpDate(text)).toBeUndefined();
    }
  });

  it('reads asctime with one-digit days', () => {
    expect(parseHttpDate('Thu Jan  1 00:00:00 1970')).toBe(0);
  });

  it('rejects a date with a token too many or too few', () => {
    for (const text of [
      'Sun, 06 Nov 1994 08:49:37 GMT GMT',
      'Sun, 06 Nov 1994 08:49:37 GMT 1',
      'Sun Nov  6 08:49:37 1994 1',
      'Sun Nov  6 08:49:37 1994 1 2',
      'Sun Nov  6 08:49:37 1994 GMT',
      'Sun, 06 Nov 1994 08:49 GMT',
    ]) {
      expect(parseHttpDate(text)).toBeUndefined();
    }
  });

  it('trims surrounding whitespace (tabs and line ends too) within 40 characters', () => {
    expect(parseHttpDate('\tSun, 06 Nov 1994 08:49:37 GMT\r\n')).toBe(epoch);
    const padded = `${' '.repeat(11)}Sun, 06 Nov 1994 08:49:37 GMT`;
    expect(padded).toHaveLength(40);
    expect(parseHttpDate(padded)).toBe(epoch);
    expect(parseHttpDate(` ${padded}`)).toBeUndefined();
  });
});
