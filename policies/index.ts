/**
 * The ready-made pipelines alone: `llm-resilience/policies`.
 * @packageDocumentation
 */
export * from './chat.js';
export * from './embeddings.js';
export * from './stream.js';
