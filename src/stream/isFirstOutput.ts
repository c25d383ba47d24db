import { shapeOf } from './streamShapes.js';

/**
 * The default test for a stream's first token: the first chunk of model output. Lifecycle and
 * thinking chunks, which come at once or while a reasoning model thinks, are held back: a retry
 * before the first output repeats nothing the user has seen, so it stays safe. By shape:
 * - OpenAI chat completion chunks: every chunk;
 * - OpenAI Responses API events: a `*.delta` or `*.done` event that is not reasoning's, or
 *   `response.completed` / `response.failed` / `response.incomplete` (not `response.created`,
 *   `response.output_item.added`, `response.reasoning_summary_text.delta`, ...);
 * - Anthropic Messages events: a `content_block_delta` of text, tool input or citations, or
 *   `message_delta` / `message_stop` (not `message_start`, `content_block_start`, `ping`,
 *   `thinking_delta`, `signature_delta`);
 * - Gemini `GenerateContentResponse` chunks: a candidate part that is not a thought, or a
 *   `finishReason` / `promptFeedback.blockReason`;
 * - the AI SDK's `fullStream` parts: `text-delta`, tool parts, `source`, `file` or `finish` (not
 *   `start`, `start-step`, `text-start`, `reasoning-*`, ...);
 * - Bedrock `ConverseStream` events: a `contentBlockDelta` that is not `reasoningContent`, or
 *   `messageStop`.
 * Any chunk of another shape (a string, an object of your own) is a first token.
 */
export function isFirstOutput(chunk: unknown): boolean {
  const known = shapeOf(chunk);
  return known === undefined || known.shape.isOutput(known.chunk);
}
