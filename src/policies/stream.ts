import { LlmStreamPolicy } from '../stream/LlmStreamPolicy.js';
import type { StreamPolicyOptions } from '../stream/streamPolicyOptions.js';
import { CHAT_POLICY_DEFAULTS } from './chat.js';
import { mergePolicyOptions, type PolicyOverrides } from './mergePolicyOptions.js';
import { processWide } from './processWide.js';

const { name: _chatName, timeout: _chatTimeout, ...chatStages } = CHAT_POLICY_DEFAULTS;

/**
 * The stream preset's options (docs/streaming.md gives the reason for each): the chat preset's
 * retry, retry budget, circuit breaker, bulkhead and rate-limit gate; 5 min for the first token
 * (reasoning models think for minutes before it, and a retry would pay for that thinking again),
 * 60 s between later chunks, 10 min for the whole call, stream included.
 */
export const STREAM_POLICY_DEFAULTS: Readonly<StreamPolicyOptions> = Object.freeze({
  ...chatStages,
  name: 'stream',
  timeout: Object.freeze({ firstTokenMs: 300_000, idleMs: 60_000, totalMs: 600_000 }),
});

/**
 * A new, independent stream policy (its own breaker, bulkhead and gate):
 * {@link STREAM_POLICY_DEFAULTS} with `overrides` merged stage by stage
 * (`createStreamPolicy({ timeout: { idleMs: 10_000 } })` keeps every other default; `false`
 * turns a stage off). Throws a TypeError for a bad override.
 *
 * @example
 * ```ts
 * import { createStreamPolicy } from 'llm-resilience';
 *
 * // Give up on the first token after 20 s and on a stalled stream after 10 s; every other
 * // option keeps the preset's value.
 * const voice = createStreamPolicy({ timeout: { firstTokenMs: 20_000, idleMs: 10_000 } });
 * ```
 */
export function createStreamPolicy(
  overrides: PolicyOverrides<StreamPolicyOptions> = {},
): LlmStreamPolicy {
  return new LlmStreamPolicy(mergePolicyOptions(STREAM_POLICY_DEFAULTS, overrides));
}

/**
 * The process-wide stream policy, {@link STREAM_POLICY_DEFAULTS}: every streamed call through it
 * shares one breaker, one bulkhead and one rate-limit gate. One instance per
 * process, even when both the ESM and the CommonJS build of the package are loaded.
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { streamPolicy } from 'llm-resilience';
 *
 * const client = new OpenAI({ maxRetries: 0 }); // the policy owns retries
 * // Resolves at the first chunk; everything before it is retried like any call.
 * const stream = await streamPolicy.execute(({ signal }) =>
 *   client.chat.completions.create(
 *     { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }], stream: true },
 *     { signal },
 *   ),
 * );
 * let text = '';
 * // A stall or a dropped connection throws a StreamInterruptedError instead of ending the loop.
 * for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
 * ```
 */
export const streamPolicy: LlmStreamPolicy = processWide('streamPolicy', () =>
  createStreamPolicy(),
);
