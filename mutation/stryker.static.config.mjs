// The core's static mutants (docs/quality.md): the module-level constants of the presets, the
// stages' defaults and option schemas, the store's checks and the error classification's tables.
// Each one is active only while its module loads, so Stryker reruns the test files that import
// it (of mutation/vitest.static.config.ts) in a fresh module graph for each. The ranges are the
// constants' lines. `npm run test:mutation:static` writes reports/mutation/static.json; then
// `tsx mutation/merge.ts reports/stryker-core-incremental.json reports/mutation/static.json --static`
// counts it in the core's results.
import core from './stryker.core.config.mjs';

export default {
  ...core,
  vitest: { configFile: 'mutation/vitest.static.config.ts' },
  ignoreStatic: false,
  incremental: false,
  htmlReporter: { fileName: 'reports/mutation/static.html' },
  jsonReporter: { fileName: 'reports/mutation/static.json' },
  mutate: [
    'src/pipeline/llmCircuitBreaker.ts:38-51',
    'src/pipeline/llmRetry.ts:22-27',
    'src/pipeline/breakerKind.ts:7-10',
    'src/pipeline/executeArgs.ts:20-27',
    'src/pipeline/options.ts:153-200',
    'src/pipeline/RetryBudget.ts:23-27',
    'src/validate.ts:116-160',
    'src/store/SharedState.ts:32-35',
    'src/store/checkStore.ts:4-9',
    'src/policies/chat.ts',
    'src/policies/embeddings.ts',
    'src/policies/stream.ts',
    'src/errors/classifyError.ts:31-115',
    'src/errors/errorProvider.ts:8-12',
  ],
};
