export {
  type AbortListener,
  CallRecord,
  callRecordOf,
  type Hold,
  type LlmCallContext,
} from './callRecord.js';
export type { CallOutcome, CallWatch, CallWatcher } from './callWatchers.js';
export type { ExecuteOptions } from './executeArgs.js';
export { hedge, type LlmHedgeOptions, LlmHedgePolicy } from './hedge.js';
export {
  createFallbackPolicy,
  defaultFallbackOn,
  FALLBACK_MAX_WAIT_MS,
  type FallbackPolicyOptions,
  type FallbackResult,
  type FallbackRoute,
  type FallbackRoutePolicy,
  LlmFallbackPolicy,
} from './LlmFallbackPolicy.js';
export { createPolicy, LlmPolicy, type PolicyFn } from './LlmPolicy.js';
export { type LlmBulkheadOptions, LlmBulkheadPolicy, llmBulkhead } from './llmBulkhead.js';
export {
  CIRCUIT_BREAKER_DEFAULTS,
  type CircuitStateName,
  type LlmCircuitBreakerOptions,
  LlmCircuitBreakerPolicy,
  llmCircuitBreaker,
} from './llmCircuitBreaker.js';
export { type LlmRetryOptions, LlmRetryPolicy, llmRetry, RETRY_DEFAULTS } from './llmRetry.js';
export { type LlmTimeoutOptions, LlmTimeoutPolicy, llmTimeout } from './llmTimeout.js';
export {
  type BulkheadOptions,
  type CircuitBreakerOptions,
  type ConsecutiveBreakerOptions,
  type HalfOpenOptions,
  type HedgeOptions,
  MAX_TIMER_MS,
  type PolicyOptions,
  type RetryBudgetOptions,
  type RetryOptions,
  type SamplingBreakerOptions,
  type TimeoutOptions,
  validatePolicyOptions,
} from './options.js';
export { PipelineStage, type StageFn } from './PipelineStage.js';
export {
  RETRY_BUDGET_DEFAULTS,
  RetryBudget,
  type RetryBudgetStore,
} from './RetryBudget.js';
export { type RateLimitGateOptions, RateLimitGatePolicy, rateLimitGate } from './rateLimitGate.js';
export { Reporter, type ReportingOptions } from './reporter.js';
