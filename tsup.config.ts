import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    policies: 'src/policies/index.ts',
    testing: 'src/testing/index.ts',
    otel: 'src/otel/index.ts',
    redis: 'src/redis/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // One shared chunk for code both entry points use, in CJS too: `llm-resilience` and
  // `llm-resilience/policies` must hand out the same preset instances.
  splitting: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['cockatiel', 'eventemitter3', '@opentelemetry/api', /^node:/],
});
