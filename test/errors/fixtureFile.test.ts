import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_KINDS } from '../../src/errors/ErrorClassification.js';
import { FIXTURE_CASES, FIXTURE_URL } from './fixtureCases.js';

/**
 * The SHA-256 of the fixture's content (`JSON.stringify` of the parsed file, so whitespace does
 * not count): the expected answers are requirements, and changing one must be deliberate. A
 * commit that changes the fixture updates this digest and says why.
 */
const FIXTURE_DIGEST = '2fa727a260a09c7b4f98cab4123ae12744a63e0438a3db442fe715a72078d080';

describe('test/fixtures/openai-errors.json', () => {
  it('is the pinned version of the fixture', () => {
    const content = JSON.stringify(JSON.parse(readFileSync(FIXTURE_URL, 'utf8')));
    expect(createHash('sha256').update(content).digest('hex')).toBe(FIXTURE_DIGEST);
  });

  it('has 20 well-formed cases with unique names and known kinds', () => {
    expect(FIXTURE_CASES).toHaveLength(20);
    expect(new Set(FIXTURE_CASES.map((c) => c.name)).size).toBe(FIXTURE_CASES.length);
    for (const c of FIXTURE_CASES) {
      expect(typeof c.name).toBe('string');
      expect(Number.isInteger(c.status) && c.status >= 400 && c.status <= 599).toBe(true);
      expect(typeof c.headers).toBe('object');
      expect(ERROR_KINDS).toContain(c.expect.kind);
      expect(typeof c.expect.retryable).toBe('boolean');
      expect(typeof c.expect.breakerFailure).toBe('boolean');
    }
  });
});
