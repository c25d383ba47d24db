/**
 * llm-resilience: resilience pipelines for LLM API calls, built on cockatiel.
 * @module llm-resilience
 */

export * from '../policies/index.js';
export type { CircuitStateName } from './breakerStage.js';
export type { LlmCallContext } from './callState.js';
export { createPolicy, type ExecuteOptions, LlmPolicy, type PolicyFn } from './createPolicy.js';
export * from './errors/index.js';
export * from './events.js';
export {
  EVENT_LOG_LEVELS,
  type EventLogFormat,
  type EventLogger,
  type LogEventsOptions,
  logEvents,
} from './logEvents.js';
export {
  mergePolicyOptions,
  type PartialStage,
  type PolicyOverrides,
} from './mergePolicyOptions.js';
export {
  type BulkheadOptions,
  type CircuitBreakerOptions,
  type ConsecutiveBreakerOptions,
  type HalfOpenOptions,
  type HedgeOptions,
  MAX_TIMER_MS,
  type PolicyOptions,
  type RetryOptions,
  type SamplingBreakerOptions,
  type TimeoutOptions,
  validatePolicyOptions,
} from './options.js';
export * from './rateLimitGate.js';
export * from './stream/index.js';
