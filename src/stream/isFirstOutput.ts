/** The Responses API events that end a response: its first token at the latest. */
export const RESPONSE_END_EVENTS = new Set([
  'response.completed',
  'response.failed',
  'response.incomplete',
]);

/**
 * The default test for a stream's first token: every chunk counts, except the Responses API's
 * lifecycle events that come before the model's first output (`response.created`,
 * `response.in_progress`, `response.queued`, `response.output_item.added`,
 * `response.content_part.added`, ...). Those arrive at once, while a reasoning model may still
 * think for minutes; a retry before the first `*.delta` or `*.done` event repeats nothing the
 * user has seen, so it stays safe. A chat completion chunk, or any chunk that is not an object
 * with a `type` starting with `response.`, is a first token.
 */
export function isFirstOutput(chunk: unknown): boolean {
  const type: unknown =
    typeof chunk === 'object' && chunk !== null ? (chunk as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !type.startsWith('response.')) {
    return true;
  }
  return type.endsWith('.delta') || type.endsWith('.done') || RESPONSE_END_EVENTS.has(type);
}
