/**
 * llm-resilience: resilience pipelines for LLM API calls, built on cockatiel.
 * @module llm-resilience
 */

export * from './errors/index.js';
export * from './events.js';
export {
  EVENT_LOG_LEVELS,
  type EventLogFormat,
  type EventLogger,
  type LogEventsOptions,
  logEvents,
} from './logEvents.js';
export * from './pipeline/index.js';
export * from './policies/index.js';
export {
  mergePolicyOptions,
  type PartialStage,
  type PolicyOverrides,
} from './policies/mergePolicyOptions.js';
export * from './rateLimit/index.js';
export type {
  EnterAnswer,
  EnterRequest,
  LeaveAnswer,
  LeaveReport,
  PolicyStateStore,
  PolicyStore,
  SharedBreakerOutcome,
  SharedBreakerSettings,
  SharedBreakerVerdict,
  SharedGateSettings,
  SharedRetryBudgetReport,
} from './store/PolicyStore.js';
export * from './stream/index.js';
