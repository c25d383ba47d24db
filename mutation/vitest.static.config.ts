import { defineConfig } from 'vitest/config';
import stryker from '../vitest.stryker.config.js';

/**
 * The suite for the core's static mutants (mutation/stryker.static.config.mjs): Stryker reruns
 * the test files that import a static mutant's module, so only the tests that read the
 * module-level constants are here: the presets', the stages' and their options', the store's,
 * the rate-limit options', and the error classification's (its tables, with each SDK over HTTP).
 */
export default defineConfig({
  ...stryker,
  test: {
    ...stryker.test,
    include: [
      'test/policies/*.test.ts',
      'test/pipeline/*.test.ts',
      'test/store/*.test.ts',
      'test/rateLimit/rateLimitOptions.test.ts',
      'test/errors/*.test.ts',
    ],
    exclude: [
      ...(stryker.test?.exclude ?? []),
      'test/policies/*.http.test.ts',
      'test/pipeline/*.http.test.ts',
      'test/store/*.http.test.ts',
    ],
  },
});
