/**
 * What stopped a stream whose server closed it cleanly before the end of the answer: a chat
 * completion stream without a `finish_reason`, a Responses API stream without its
 * `response.completed` (or `failed` / `incomplete`) event. Classified as kind `connection`
 * (its `code` is Node's `ERR_STREAM_PREMATURE_CLOSE`), so it is retried before the first token;
 * after it, it is the `cause` of a `StreamInterruptedError`.
 */
export class StreamEndedEarlyError extends Error {
  /** Always `'StreamEndedEarlyError'`. */
  override readonly name = 'StreamEndedEarlyError';
  /** The code Node gives a stream closed before its end, which classification reads. */
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';

  constructor() {
    super('the stream ended before the end of the answer');
  }
}
