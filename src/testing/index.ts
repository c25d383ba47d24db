/**
 * The test kit: `llm-resilience/testing` (Node only).
 * @packageDocumentation
 */
