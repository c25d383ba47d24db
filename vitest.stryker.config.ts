import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The suite as Stryker runs it for each mutant: everything except the tests that only check child
 * processes (examples, demo, packing, process exit, the unhandled-error hook). Stryker activates a
 * mutant inside the test process, so code a child process runs is never mutated: those tests
 * cannot kill a mutant, and would only cost time. See docs/quality.md.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        'test/examples/**',
        'test/demo/**',
        'test/package/**',
        'test/setup/**',
        'test/**/exit.test.ts',
        'test/**/*.exit.test.ts',
        'node_modules/**',
      ],
    },
  }),
);
