/**
 * llm-resilience: resilience pipelines for LLM API calls, built on cockatiel.
 * @packageDocumentation
 */
export * from './errors/index.js';
export * from './events.js';
export * from './rateLimitGate.js';
