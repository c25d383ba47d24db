import { type IDefaultPolicyContext, type IPolicy, noop, wrap } from 'cockatiel';
import { SharedState, sharedStateOf } from '../store/SharedState.js';
import { limitOf } from '../validate.js';
import { hedge } from './hedge.js';
import { llmBulkhead } from './llmBulkhead.js';
import { LlmCircuitBreakerPolicy } from './llmCircuitBreaker.js';
import { LlmRetryPolicy } from './llmRetry.js';
import { llmTimeout } from './llmTimeout.js';
import type { PolicyOptions } from './options.js';
import { RateLimitGatePolicy } from './rateLimitGate.js';
import type { Reporter } from './reporter.js';

/** A policy's stages joined by cockatiel's `wrap()`, and its breaker. */
export interface Pipeline {
  /** The stages, outermost first, as one cockatiel policy. */
  readonly policy: IPolicy<IDefaultPolicyContext>;
  /** The circuit-breaker stage, if the options name one. */
  readonly breaker: LlmCircuitBreakerPolicy | undefined;
  /** The rate-limit stage, if the options name one. */
  readonly gate: RateLimitGatePolicy | undefined;
}

/**
 * The stages `options` name (checked already), built with the public factories and joined with
 * cockatiel's `wrap()`, outermost first: bulkhead, total timeout, retry, hedging, rate-limit
 * gate, circuit breaker, attempt timeout; the retry budget is the retry stage's. Every stage
 * reports to `reporter`'s emitter under its name. `attempt` is the innermost timeout: `timeout.attemptMs`, or a stream's `firstTokenMs`.
 * With a `store`, the gate, the breaker and the retry budget share one {@link SharedState}: the
 * gate's round trips to the store cover the breaker and the budget's withdrawals too.
 */
export function buildPipeline(
  options: PolicyOptions,
  reporter: Reporter,
  attempt: { attemptMs: number } | { firstTokenMs: number } | undefined,
): Pipeline {
  const reporting = { name: reporter.name, events: reporter.events };
  const { retry, retryBudget, timeout, circuitBreaker, bulkhead, rateLimit, store } = options;
  const stages: IPolicy<IDefaultPolicyContext>[] = [];
  const totalMs = timeout ? limitOf(timeout.totalMs) : undefined;
  const shared = sharedStateOf('store', store, reporter);
  const breaker = circuitBreaker
    ? new LlmCircuitBreakerPolicy({ ...circuitBreaker, ...reporting }, shared)
    : undefined;
  if (bulkhead) stages.push(llmBulkhead({ ...bulkhead, ...reporting }));
  if (totalMs !== undefined) stages.push(llmTimeout({ totalMs, ...reporting }));
  if (retry) {
    stages.push(
      new LlmRetryPolicy({ ...retry, budget: retryBudget ?? false, ...reporting }, shared),
    );
  }
  if (options.hedge) stages.push(hedge({ ...options.hedge, ...reporting }));
  const gate = rateLimit
    ? new RateLimitGatePolicy({ ...rateLimit, ...reporting }, shared, breaker)
    : undefined;
  if (gate) stages.push(gate);
  if (breaker) stages.push(breaker);
  if (attempt) stages.push(llmTimeout({ ...attempt, ...reporting }));
  return { policy: stages.length === 0 ? noop : wrap(...stages), breaker, gate };
}
