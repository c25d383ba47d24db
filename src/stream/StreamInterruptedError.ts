/**
 * Thrown by a guarded stream (see {@link guardStream}) that stopped before it finished, after
 * its first chunk was delivered: it stalled for longer than `idleMs`, the connection dropped, the
 * server sent an error event, or the caller aborted. `chunks` says how many chunks the consumer
 * received before the failure; `cause` is what stopped the stream (the toolkit's `TimeoutError`
 * with scope `idle` or `total`, the connection error, the server's `APIError`, or the abort
 * reason), so `classifyOpenAIError` classifies this error as its cause. It is never retried by
 * the stream policy: the chunks already delivered cannot be taken back.
 */
export class StreamInterruptedError extends Error {
  /** Always `'StreamInterruptedError'`. */
  override readonly name = 'StreamInterruptedError';

  constructor(
    /** How many chunks the consumer received before the stream stopped. */
    readonly chunks: number,
    /** What stopped the stream. */
    cause: unknown,
  ) {
    super(`stream interrupted after ${chunks} chunk(s): ${describeCause(cause)}`, { cause });
  }
}

/** The cause's error name only: a message could quote the request or the caller's own reason. */
function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    return cause.name === 'TimeoutError' ? cause.message : cause.name;
  }
  return typeof cause;
}
