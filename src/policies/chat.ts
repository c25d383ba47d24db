import { createPolicy, type LlmPolicy } from '../pipeline/LlmPolicy.js';
import type { PolicyOptions } from '../pipeline/options.js';
import { mergePolicyOptions, type PolicyOverrides } from './mergePolicyOptions.js';
import { processWide } from './processWide.js';

/**
 * The chat preset's options (docs/policies.md gives the reason for each): 4 retries with
 * decorrelated jitter from 1 s capped at 60 s, server hints up to 60 s honoured, within a retry
 * budget of 20% of the calls plus 10 retries a second over 10 s; 3 min per attempt
 * (reasoning models answer in minutes) and 10 min in all; a breaker that opens after 5
 * consecutive failures for 1 s, doubling up to 60 s while the outage lasts; 100 calls at once with
 * 1,000 waiting; the rate-limit gate on.
 */
export const CHAT_POLICY_DEFAULTS: Readonly<PolicyOptions> = Object.freeze({
  name: 'chat',
  retry: Object.freeze({
    maxRetries: 4,
    initialDelayMs: 1_000,
    maxDelayMs: 60_000,
    maxRetryAfterMs: 60_000,
  }),
  retryBudget: Object.freeze({ percent: 20, minPerSec: 10, windowMs: 10_000 }),
  timeout: Object.freeze({ attemptMs: 180_000, totalMs: 600_000 }),
  circuitBreaker: Object.freeze({
    consecutiveFailures: 5,
    halfOpenAfterMs: 1_000,
    maxHalfOpenAfterMs: 60_000,
  }),
  bulkhead: Object.freeze({ maxConcurrent: 100, maxQueued: 1_000 }),
  rateLimit: Object.freeze({}),
});

/**
 * A new, independent chat policy (its own breaker, bulkhead and gate): {@link CHAT_POLICY_DEFAULTS}
 * with `overrides` merged stage by stage (`createChatPolicy({ retry: { maxRetries: 1 } })` keeps
 * every other default; `false` turns a stage off). Throws a TypeError for a bad override.
 *
 * @example
 * ```ts
 * import { createChatPolicy } from 'llm-resilience';
 *
 * // One retry and 30 s per attempt, no bulkhead; every other stage keeps the preset's values.
 * const interactive = createChatPolicy({
 *   name: 'interactive',
 *   retry: { maxRetries: 1 },
 *   timeout: { attemptMs: 30_000 },
 *   bulkhead: false,
 * });
 * ```
 */
export function createChatPolicy(overrides: PolicyOverrides = {}): LlmPolicy {
  return createPolicy(mergePolicyOptions(CHAT_POLICY_DEFAULTS, overrides));
}

/**
 * The process-wide chat policy, {@link CHAT_POLICY_DEFAULTS}: every chat call through it shares
 * one breaker, one bulkhead and one rate-limit gate. One instance per process, even when both
 * the ESM and the CommonJS build of the package are loaded (it is kept on `globalThis`).
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { chatPolicy } from 'llm-resilience';
 *
 * const client = new OpenAI({ maxRetries: 0 }); // the policy owns retries
 * const completion = await chatPolicy.execute(({ signal }) =>
 *   client.chat.completions.create(
 *     { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] },
 *     { signal },
 *   ),
 * );
 * console.log(completion.choices[0]?.message.content);
 * ```
 */
export const chatPolicy: LlmPolicy = processWide('chatPolicy', () => createChatPolicy());
