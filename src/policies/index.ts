/**
 * The ready-made pipelines alone: `llm-resilience/policies`.
 * @module llm-resilience/policies
 */
export * from './chat.js';
export * from './embeddings.js';
export * from './stream.js';
