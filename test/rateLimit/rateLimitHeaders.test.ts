import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders } from '../../src/rateLimit/rateLimitHeaders.js';

const NOW = Date.UTC(2026, 10, 29, 20, 40, 0);

describe('parseRateLimitHeaders', () => {
  it('reads OpenAI, Azure and Groq headers: limits, remaining counts and Go-duration resets', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(parseRateLimitHeaders(headers, NOW)).toEqual({
      requests: { limit: 500, remaining: 499, resetMs: 120 },
      tokens: { limit: 30_000, remaining: 0, resetMs: 360_000 },
    });
  });

  it('reads a remaining count without a limit or a reset (Azure sends remaining alone)', () => {
    expect(parseRateLimitHeaders({ 'x-ratelimit-remaining-tokens': '1200' }, NOW)).toEqual({
      tokens: { remaining: 1200 },
    });
  });

  it("reads Anthropic's headers, resets as RFC 3339 times from now", () => {
    const headers = {
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '49',
      'anthropic-ratelimit-requests-reset': '2026-11-29T20:40:01.5Z',
      'anthropic-ratelimit-input-tokens-limit': '40000',
      'anthropic-ratelimit-input-tokens-remaining': '0',
      'anthropic-ratelimit-input-tokens-reset': '2026-11-29T20:40:30Z',
      'anthropic-ratelimit-output-tokens-remaining': '8000',
      'anthropic-ratelimit-tokens-remaining': '100',
    };
    expect(parseRateLimitHeaders(headers, NOW)).toEqual({
      requests: { limit: 50, remaining: 49, resetMs: 1500 },
      tokens: { remaining: 100 },
      inputTokens: { limit: 40_000, remaining: 0, resetMs: 30_000 },
      outputTokens: { remaining: 8000 },
    });
  });

  it('gives a reset already past as 0, and leaves out a limit below the remaining count', () => {
    expect(
      parseRateLimitHeaders(
        {
          'anthropic-ratelimit-tokens-remaining': '10',
          'anthropic-ratelimit-tokens-limit': '5',
          'anthropic-ratelimit-tokens-reset': '2026-11-29T20:39:00Z',
        },
        NOW,
      ),
    ).toEqual({ tokens: { remaining: 10, resetMs: 0 } });
  });

  it('says nothing for replies without rate-limit headers', () => {
    expect(parseRateLimitHeaders(new Headers({ 'content-type': 'application/json' }))).toBe(
      undefined,
    );
    expect(parseRateLimitHeaders(undefined)).toBe(undefined);
    expect(parseRateLimitHeaders('x-ratelimit-remaining-tokens: 0')).toBe(undefined);
  });

  it.each([
    ['-1', undefined],
    ['1e9', undefined],
    ['NaN', undefined],
    ['Infinity', undefined],
    ['0x10', undefined],
    ['1.2.3', undefined],
    ['.', undefined],
    ['', undefined],
    ['9'.repeat(400), undefined],
    [' 42 ', 42],
  ])('a remaining count of %j reads as %j', (value, expected) => {
    const limits = parseRateLimitHeaders({ 'x-ratelimit-remaining-tokens': value }, NOW);
    expect(limits?.tokens?.remaining).toBe(expected);
  });

  it.each(['-1s', '1d', '99999h', 'soon', `${'1'.repeat(10_000)}s`, '2026-11-29'])(
    'leaves out a hostile reset %j (no throw)',
    (reset) => {
      const limits = parseRateLimitHeaders(
        { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': reset },
        NOW,
      );
      expect(limits).toEqual({ requests: { remaining: 0 } });
    },
  );

  it('survives headers whose reading throws', () => {
    const hostile = {
      get() {
        throw new Error('boom');
      },
    };
    expect(parseRateLimitHeaders(hostile)).toBe(undefined);
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    expect(parseRateLimitHeaders(trap)).toBe(undefined);
  });

  it('never throws, and reports only finite counts >= 0 and resets of at most a day', () => {
    const name = fc.constantFrom(
      'x-ratelimit-remaining-tokens',
      'x-ratelimit-reset-tokens',
      'x-ratelimit-limit-tokens',
      'anthropic-ratelimit-requests-remaining',
      'anthropic-ratelimit-requests-reset',
      'anthropic-ratelimit-requests-limit',
    );
    fc.assert(
      fc.property(fc.dictionary(name, fc.string({ maxLength: 80 })), (record) => {
        const limits = parseRateLimitHeaders(record, NOW);
        for (const limit of Object.values(limits ?? {})) {
          expect(Number.isFinite(limit.remaining) && limit.remaining >= 0).toBe(true);
          if (limit.resetMs !== undefined) {
            expect(limit.resetMs >= 0 && limit.resetMs <= 86_400_000).toBe(true);
          }
          if (limit.limit !== undefined) expect(limit.limit >= limit.remaining).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a megabyte-long header value in linear time (no hang)', () => {
    const long = `${'1'.repeat(1_000_000)}s`;
    const started = performance.now();
    const limits = parseRateLimitHeaders({
      'x-ratelimit-remaining-tokens': long,
      'x-ratelimit-reset-tokens': long,
    });
    expect(limits).toBe(undefined);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
