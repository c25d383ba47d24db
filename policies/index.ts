/**
 * The ready-made pipelines alone: `llm-resilience/policies`.
 * @packageDocumentation
 */
