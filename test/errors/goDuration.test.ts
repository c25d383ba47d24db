import { describe, expect, it } from 'vitest';
import { parseGoDurationMs } from '../../src/errors/goDuration.js';

describe('parseGoDurationMs', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['12ms', 12],
    ['1h2m3.5s', 3_723_500],
    ['0', 0],
    ['0s', 0],
    ['1.5s', 1500],
    ['.5s', 500],
    ['250us', 0.25],
    ['250\u00b5s', 0.25],
    ['250\u03bcs', 0.25],
    ['1000000ns', 1],
    [' 2s ', 2000],
    ['1m30s', 90_000],
  ])('parses %j as %d ms', (text, ms) => {
    expect(parseGoDurationMs(text)).toBeCloseTo(ms, 9);
  });

  it.each([
    '',
    '  ',
    '5',
    '-1s',
    '+1s',
    's',
    '1x',
    '1 s',
    '1.2.3s',
    '.s',
    '1sec',
    '1constructor',
    '1toString',
    '1__proto__',
    `${'9'.repeat(70)}s`,
  ])('rejects %j', (text) => {
    expect(parseGoDurationMs(text)).toBeUndefined();
  });

  it('reads a fraction that starts a new number right after a unit, as Go does', () => {
    expect(parseGoDurationMs('1s.5s')).toBe(1500);
    expect(parseGoDurationMs('2m.5s')).toBe(120_500);
  });

  it('reads every digit, 0 to 9, and nothing next to them in the code table', () => {
    expect(parseGoDurationMs('9876543210ms')).toBe(9_876_543_210);
    expect(parseGoDurationMs('09s')).toBe(9000);
    for (const neighbour of ['/', ':']) {
      expect(parseGoDurationMs(`1${neighbour}s`)).toBeUndefined();
      expect(parseGoDurationMs(`${neighbour}1s`)).toBeUndefined();
    }
  });

  it('accepts 64 characters (after trimming) and rejects 65', () => {
    const at64 = `${'0'.repeat(62)}1s`;
    expect(at64).toHaveLength(64);
    expect(parseGoDurationMs(at64)).toBe(1000);
    expect(parseGoDurationMs(`  ${at64}  `)).toBe(1000);
    expect(parseGoDurationMs(`0${at64}`)).toBeUndefined();
  });

  it('is linear on hostile input', () => {
    const hostile = `${'1.'.repeat(500_000)}x`;
    const started = performance.now();
    expect(parseGoDurationMs(hostile)).toBeUndefined();
    expect(parseGoDurationMs('1s'.repeat(500_000))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(200);
  });
});
