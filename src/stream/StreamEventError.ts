/**
 * What stopped a stream that carried its server's error event as a chunk instead of throwing it:
 * the AI SDK's `error` part holding the provider's SSE error payload (an object such as
 * Anthropic's `{ type: 'overloaded_error', message }` or OpenAI's `{ type: 'server_error', ... }`,
 * not an Error). Shaped like an SDK's API error (`status`, `headers`, `error`), so that
 * classification reads the payload's `type` and `code`: `overloaded_error` is kind `overloaded`,
 * retried before the first token. Its message is the payload's `message`, if it has one.
 */
export class StreamEventError extends Error {
  /** Always `'StreamEventError'`. */
  override readonly name = 'StreamEventError';
  /** No HTTP status: the event came after a 200. */
  readonly status = undefined;
  /** No headers of its own. */
  readonly headers = undefined;

  constructor(
    /** The error payload the stream carried. */
    readonly error: unknown,
  ) {
    const message =
      typeof error === 'object' && error !== null
        ? (error as { message?: unknown }).message
        : error;
    super(typeof message === 'string' ? message : 'the stream carried an error event');
  }
}
