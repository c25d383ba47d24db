import { defineConfig } from 'vitest/config';
import stryker from '../vitest.stryker.config.js';

/**
 * The suite for a Stryker run over the core (src/pipeline, the rate-limit gate, validate, the
 * presets, instrument, classifyError, the store's stages): the Stryker suite (vitest.stryker.config.ts) without the
 * test kit's, the docs' and the benchmarks' own tests, the stream providers' HTTP tests and the
 * Redis tests.
 */
export default defineConfig({
  ...stryker,
  test: {
    ...stryker.test,
    include: [
      'test/*.test.ts',
      'test/pipeline/**/*.test.ts',
      'test/properties/**/*.test.ts',
      'test/policies/**/*.test.ts',
      'test/otel/**/*.test.ts',
      'test/rateLimit/**/*.test.ts',
      'test/errors/**/*.test.ts',
      'test/stream/*.test.ts',
      // The stages' shared path, against stores whose answers the tests write. The Redis tests
      // are left out: each mutant they cover would start a redis-server.
      'test/store/**/*.test.ts',
    ],
    exclude: [
      ...(stryker.test?.exclude ?? []),
      'test/stream/*.http.test.ts',
      // Flaky on a loaded machine: a breaker's half-open timed against six HTTP calls, and the
      // peak of 50 concurrent streams at the server.
      'test/pipeline/fallback.http.test.ts',
      'test/policies/stream.test.ts',
    ],
  },
});
