import { createPolicy, type LlmPolicy } from '../pipeline/LlmPolicy.js';
import type { PolicyOptions } from '../pipeline/options.js';
import { mergePolicyOptions, type PolicyOverrides } from './mergePolicyOptions.js';
import { processWide } from './processWide.js';

/**
 * The embeddings preset's options (docs/policies.md gives the reason for each): embedding calls
 * are short and many, so 5 retries with decorrelated jitter from 1 s capped at 60 s, server hints
 * up to 60 s honoured, within a retry budget of 20% of the calls plus 10 retries a second over
 * 10 s; 30 s per attempt and 2 min in all; a breaker that opens when more than half
 * of at least 20 calls in 30 s fail, for 1 s, doubling up to 60 s; 100 calls at once with 10,000
 * waiting; the rate-limit gate on.
 */
export const EMBEDDINGS_POLICY_DEFAULTS: Readonly<PolicyOptions> = Object.freeze({
  name: 'embeddings',
  retry: Object.freeze({
    maxRetries: 5,
    initialDelayMs: 1_000,
    maxDelayMs: 60_000,
    maxRetryAfterMs: 60_000,
  }),
  retryBudget: Object.freeze({ percent: 20, minPerSec: 10, windowMs: 10_000 }),
  timeout: Object.freeze({ attemptMs: 30_000, totalMs: 120_000 }),
  circuitBreaker: Object.freeze({
    failureRatio: 0.5,
    minimumCalls: 20,
    samplingMs: 30_000,
    halfOpenAfterMs: 1_000,
    maxHalfOpenAfterMs: 60_000,
  }),
  bulkhead: Object.freeze({ maxConcurrent: 100, maxQueued: 10_000 }),
  rateLimit: Object.freeze({}),
});

/**
 * A new, independent embeddings policy: {@link EMBEDDINGS_POLICY_DEFAULTS} with `overrides`
 * merged stage by stage (`false` turns a stage off). Throws a TypeError for a bad override.
 */
export function createEmbeddingsPolicy(overrides: PolicyOverrides = {}): LlmPolicy {
  return createPolicy(mergePolicyOptions(EMBEDDINGS_POLICY_DEFAULTS, overrides));
}

/**
 * The process-wide embeddings policy, {@link EMBEDDINGS_POLICY_DEFAULTS}: every embeddings call
 * through it shares one breaker, one bulkhead and one rate-limit gate. One instance per
 * process, even when both the ESM and the CommonJS build of the package are loaded.
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { embeddingsPolicy } from 'llm-resilience';
 *
 * const client = new OpenAI({ maxRetries: 0 }); // the policy owns retries
 * const texts = ['first document', 'second document'];
 * // Fire them all at once: the bulkhead and the rate-limit gate pace them.
 * const vectors = await Promise.all(
 *   texts.map((input) =>
 *     embeddingsPolicy.execute(async ({ signal }) => {
 *       const response = await client.embeddings.create(
 *         { model: 'text-embedding-3-small', input },
 *         { signal },
 *       );
 *       return response.data[0]?.embedding;
 *     }),
 *   ),
 * );
 * ```
 */
export const embeddingsPolicy: LlmPolicy = processWide('embeddingsPolicy', () =>
  createEmbeddingsPolicy(),
);
