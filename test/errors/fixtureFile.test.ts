import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURE_URL } from './fixtureCases.js';

const SHARED_DIR = new URL('../../../shared/', import.meta.url);
const SHARED_FIXTURE = new URL('fixtures/openai-errors.json', SHARED_DIR);

describe('test/fixtures/openai-errors.json', () => {
  it.skipIf(!existsSync(SHARED_DIR))('equals ../shared/fixtures/openai-errors.json', () => {
    const local: unknown = JSON.parse(readFileSync(FIXTURE_URL, 'utf8'));
    const shared: unknown = JSON.parse(readFileSync(SHARED_FIXTURE, 'utf8'));
    expect(local).toEqual(shared);
  });
});
