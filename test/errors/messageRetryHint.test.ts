import { describe, expect, it } from 'vitest';
import { retryHintInMessage } from '../../src/errors/messageRetryHint.js';

describe('retryHintInMessage', () => {
  it.each([
    ['Rate limit reached for gpt-4o on tokens per min (TPM). Please try again in 1.4s.', 1400],
    ['Please try again in 20ms. Visit https://platform.openai.com/account/rate-limits', 20],
    ['Please try again in 6m0s.', 360_000],
    ['Please try again in 1m30.5s, thanks', 90_500],
    [
      'exceeded token rate limit of your current pricing tier. Please retry after 33 seconds.',
      33_000,
    ],
    ['Please retry after 1 second.', 1000],
    ['Try again in 2 minutes', 120_000],
    ['please retry in 500 milliseconds', 500],
    ['Try again in 0s', 0],
    ['TRY AGAIN IN 3S', 3000],
    ['try again in later; try again in 2s', 2000],
  ])('finds the wait in %j', (message, ms) => {
    expect(retryHintInMessage(message)).toBeCloseTo(ms, 9);
  });

  it.each([
    '',
    'Rate limit reached.',
    'Please try again later.',
    'Please try again in a moment.',
    'try again in 5 fortnights',
    'try again in 5',
    'try again in -5s',
  ])('finds no wait in %j', (message) => {
    expect(retryHintInMessage(message)).toBeUndefined();
  });

  it.each([
    ['try again in  2s', 2000],
    ['try again in    2 seconds', 2000],
    ['retry after 1.5 seconds', 1500],
    ['retry after .5 seconds', 500],
    ['try again in 250\u00b5s', 0.25],
    ['try again in 250\u03bcs', 0.25],
    ['try again in 2s{"code":"rate_limit"}', 2000],
    ['try again in 2s... or later', 2000],
    ['try again in 5 secondsz, then try again in 1s', 1000],
    ['retry in 3 min', 180_000],
    ['retry in 1 hour', 3_600_000],
  ])('reads the wait in %j', (message, ms) => {
    expect(retryHintInMessage(message)).toBeCloseTo(ms, 9);
  });

  it.each([
    'try again in 2sa',
    'try again in 2sz',
    'try again in a2s',
    'try again in 2 secondsa',
    'try again in 2 secondsz',
    'try again in 1e3 seconds',
    'try again in 1.2.3 seconds',
    'try again in 5-seconds',
    'try again in 5  seconds',
    'try again in 5x seconds',
    'try again in . seconds',
    'try again in ',
  ])('finds no wait in the glued or malformed %j', (message) => {
    expect(retryHintInMessage(message)).toBeUndefined();
  });

  it('only searches the start of a huge message, in linear time', () => {
    const huge = `${'try again in '.repeat(100_000)}1s`;
    const started = performance.now();
    expect(retryHintInMessage(huge)).toBeUndefined();
    expect(retryHintInMessage(`${'x'.repeat(5000)} try again in 1s`)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(200);
  });
});
