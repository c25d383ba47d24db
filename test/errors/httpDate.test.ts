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
});
