import OpenAI4 from 'openai-v4';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_RETRY_AFTER_MS, retryAfterMs } from '../../src/errors/retryAfter.js';

const rateLimit = (headers: Record<string, string>, message = 'Rate limit reached.') => ({
  status: 429,
  headers: new Headers(headers),
  error: { message, type: 'requests', code: 'rate_limit_exceeded' },
});

describe('retryAfterMs', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads retry-after-ms as float milliseconds, "0" included', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '120' }))).toBe(120);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '12.5' }))).toBe(12.5);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '0' }))).toBe(0);
  });

  it('prefers retry-after-ms over retry-after', () => {
    expect(retryAfterMs({ 'retry-after': '33', 'retry-after-ms': '32000' })).toBe(32_000);
  });

  it('reads retry-after in seconds', () => {
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'retry-after': ' 1.5 ' })).toBe(1500);
  });

  it('reads retry-after as an HTTP-date relative to now', () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 10, 25, 4, 0, 0));
    expect(retryAfterMs({ 'retry-after': 'Wed, 25 Nov 2026 04:00:30 GMT' })).toBe(30_000);
    vi.setSystemTime(Date.UTC(2026, 10, 25, 4, 0, 10));
    expect(retryAfterMs({ 'retry-after': 'Wed, 25 Nov 2026 04:00:30 GMT' })).toBe(20_000);
  });

  it('gives undefined for a date in the past or more than a day ahead', () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 10, 25, 4, 0, 0));
    expect(retryAfterMs({ 'retry-after': 'Wed, 25 Nov 2026 03:59:59 GMT' })).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'Fri, 27 Nov 2026 04:00:00 GMT' })).toBeUndefined();
  });

  it.each([
    ['-1'],
    ['NaN'],
    ['Infinity'],
    ['1e3'],
    ['0x10'],
    ['soon'],
    [''],
    [String(MAX_RETRY_AFTER_MS + 1)],
    ['9'.repeat(1_000_000)],
    ['1.2.3'],
    ['.'],
    [' '],
    ['1..'],
  ])('skips bad retry-after value #%#', (value) => {
    expect(retryAfterMs({ 'retry-after': value })).toBeUndefined();
    expect(retryAfterMs({ 'retry-after-ms': value, 'retry-after': '3' })).toBe(3000);
  });

  it('accepts a wait of exactly one day and rejects a longer one', () => {
    expect(retryAfterMs({ 'retry-after-ms': String(MAX_RETRY_AFTER_MS) })).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs({ 'retry-after-ms': String(MAX_RETRY_AFTER_MS + 1) })).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': String(MAX_RETRY_AFTER_MS / 1000) })).toBe(
      MAX_RETRY_AFTER_MS,
    );
    expect(retryAfterMs({ 'retry-after': String(MAX_RETRY_AFTER_MS / 1000 + 1) })).toBeUndefined();
  });

  it('reads a number of up to 64 characters, padding included, and no longer one', () => {
    const at64 = `${'0'.repeat(62)}12`;
    expect(retryAfterMs({ 'retry-after-ms': at64 })).toBe(12);
    expect(retryAfterMs({ 'retry-after': at64 })).toBe(12_000);
    expect(retryAfterMs({ 'retry-after-ms': ` ${'0'.repeat(61)}12` })).toBe(12);
    expect(retryAfterMs({ 'retry-after-ms': `0${at64}` })).toBeUndefined();
    expect(retryAfterMs({ 'retry-after-ms': ` ${at64}` })).toBeUndefined();
  });

  it('reads a long x-ratelimit reset as long as its duration is 64 characters', () => {
    const at64 = `${'0'.repeat(62)}2s`;
    expect(retryAfterMs(rateLimit({ 'x-ratelimit-reset-tokens': at64 }))).toBe(2000);
    expect(retryAfterMs(rateLimit({ 'x-ratelimit-reset-tokens': `0${at64}` }))).toBeUndefined();
  });

  it('counts a limit as exhausted only when its remaining count is zero', () => {
    const resets = { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' };
    for (const remaining of ['0', '0.0', ' 0 ']) {
      expect(
        retryAfterMs(rateLimit({ ...resets, 'x-ratelimit-remaining-requests': remaining })),
      ).toBe(1000);
    }
    for (const remaining of ['', '.', '1', 'zero', '-0']) {
      expect(
        retryAfterMs(rateLimit({ ...resets, 'x-ratelimit-remaining-requests': remaining })),
      ).toBe(360_000);
    }
  });

  it('never reads an error without HTTP details as a header record', () => {
    const error = Object.assign(new Error('x'), { 'retry-after': '2' });
    expect(retryAfterMs(error)).toBeUndefined();
    expect(retryAfterMs(Object.assign(() => 1, { 'retry-after': '2' }))).toBeUndefined();
  });

  it('reads header records case-insensitively and takes the first of an array', () => {
    expect(retryAfterMs({ 'Retry-After': '4' })).toBe(4000);
    expect(retryAfterMs({ 'retry-after': ['5', '6'] })).toBe(5000);
    expect(retryAfterMs(new Map([['retry-after', '7']]))).toBe(7000);
  });

  it('takes the x-ratelimit reset of the exhausted limit on a 429', () => {
    const exhaustedTokens = rateLimit({
      'x-ratelimit-remaining-requests': '12',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(retryAfterMs(exhaustedTokens)).toBe(360_000);
    const exhaustedRequests = rateLimit({
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-remaining-tokens': '100',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(retryAfterMs(exhaustedRequests)).toBe(1000);
  });

  it('takes the larger reset when none or both limits are exhausted', () => {
    expect(
      retryAfterMs(
        rateLimit({ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '12ms' }),
      ),
    ).toBe(1000);
    expect(
      retryAfterMs(
        rateLimit({
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '1s',
          'x-ratelimit-remaining-tokens': '0',
          'x-ratelimit-reset-tokens': '1h2m3.5s',
        }),
      ),
    ).toBe(3_723_500);
    expect(retryAfterMs(rateLimit({ 'x-ratelimit-reset-tokens': '2s' }))).toBe(2000);
  });

  it('ignores x-ratelimit resets on other statuses and on bare headers', () => {
    const headers = { 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '2s' };
    expect(retryAfterMs({ ...rateLimit(headers), status: 503 })).toBeUndefined();
    expect(retryAfterMs(headers)).toBeUndefined();
  });

  it('falls back to the wait in the server message', () => {
    expect(retryAfterMs(rateLimit({}, 'Please try again in 1.4s.'))).toBe(1400);
    expect(
      retryAfterMs(rateLimit({ 'x-ratelimit-reset-tokens': '2s' }, 'Please try again in 1.4s.')),
    ).toBe(2000);
  });

  it('reads openai 4 errors (plain header record) and errors wrapped as cause', () => {
    const v4 = new OpenAI4.RateLimitError(429, { message: 'slow down' }, undefined, {
      'retry-after': '3',
    });
    expect(retryAfterMs(v4)).toBe(3000);
    expect(retryAfterMs(new Error('wrapped', { cause: v4 }))).toBe(3000);
    const deep = new Error('1', {
      cause: new Error('2', { cause: new Error('3', { cause: v4 }) }),
    });
    expect(retryAfterMs(deep)).toBe(3000);
    const tooDeep = new Error('0', { cause: deep });
    expect(retryAfterMs(tooDeep)).toBeUndefined();
  });

  it('reads a fetch Response', () => {
    const response = new Response('{}', { status: 429, headers: { 'retry-after': '9' } });
    expect(retryAfterMs(response)).toBe(9000);
  });

  it('gives undefined for errors without HTTP details and for non-objects', () => {
    expect(retryAfterMs(new Error('Please try again in 2s'))).toBeUndefined();
    for (const value of [undefined, null, 0, 'retry-after: 2', Symbol('x'), () => 1]) {
      expect(retryAfterMs(value)).toBeUndefined();
    }
  });

  it('never throws on hostile headers', () => {
    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    expect(retryAfterMs(throwing)).toBeUndefined();
    expect(retryAfterMs({ status: 429, headers: throwing, error: {} })).toBeUndefined();
    const getThrows = {
      get() {
        throw new Error('boom');
      },
    };
    expect(retryAfterMs(getThrows)).toBeUndefined();
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    expect(retryAfterMs(revocable.proxy)).toBeUndefined();
  });

  it('is linear on megabyte header values', () => {
    const huge = '1'.repeat(1_000_000);
    const started = performance.now();
    const headers = new Headers({
      'retry-after-ms': huge,
      'retry-after': `Sun, ${'0'.repeat(1_000_000)}`,
      'x-ratelimit-reset-tokens': '1s'.repeat(500_000),
      'x-ratelimit-reset-requests': `${'9'.repeat(1_000_000)}s`,
    });
    expect(retryAfterMs({ status: 429, headers, error: { message: 'x'.repeat(1_000_000) } })).toBe(
      undefined,
    );
    expect(performance.now() - started).toBeLessThan(500);
  });
});
