import { readFileSync } from 'node:fs';
import type { ErrorKind } from '../../src/errors/ErrorClassification.js';

/** One case of test/fixtures/openai-errors.json: an HTTP error reply and the required answer. */
export interface FixtureCase {
  name: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  expect: { kind: ErrorKind; retryable: boolean; breakerFailure: boolean; retryAfterMs?: number };
}

/** The fixture file's path in the checkout. */
export const FIXTURE_URL = new URL('../fixtures/openai-errors.json', import.meta.url);

/** Every case of the fixture file. */
export const FIXTURE_CASES: readonly FixtureCase[] = (
  JSON.parse(readFileSync(FIXTURE_URL, 'utf8')) as { cases: FixtureCase[] }
).cases;
