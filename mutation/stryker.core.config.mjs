// Stryker over the core, scoped and faster than the full run (docs/quality.md):
// `npm run test:mutation:core`, then `npm run mutation:report`.
import base from '../stryker.config.json' with { type: 'json' };

export default {
  ...base,
  vitest: { configFile: 'mutation/vitest.core.config.ts' },
  mutate: [
    'src/pipeline/**/*.ts',
    'src/rateLimit/RateLimitGate.ts',
    'src/rateLimit/adaptivePace.ts',
    'src/validate.ts',
    'src/policies/*.ts',
    'src/otel/instrument.ts',
    'src/errors/classifyError.ts',
    'src/errors/errorProvider.ts',
    'src/store/*.ts',
  ],
  incrementalFile: 'reports/stryker-core-incremental.json',
};
