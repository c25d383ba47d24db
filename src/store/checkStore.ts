import type { Check } from '../validate.js';

/** A `PolicyStore`: an object with a `policyState` method (`createRedisStore(...)`). */
export const aPolicyStore: Check = (v) =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { policyState?: unknown }).policyState === 'function'
    ? undefined
    : 'a PolicyStore (createRedisStore() of llm-resilience/redis)';
