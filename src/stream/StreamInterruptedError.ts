import { safeText } from '../errors/safeText.js';

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

/** The longest part of the cause's message quoted in {@link StreamInterruptedError}'s message. */
const MAX_CAUSE_LENGTH = 200;

/**
 * An Error cause as `Name: message` (a timeout by its message alone), the message cut to 200
 * characters with control characters and API keys removed by `safeText`; any other cause (a
 * reason the caller chose) by its type only.
 */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return typeof cause;
  if (cause.name === 'TimeoutError') return cause.message;
  const message = safeText(String(cause.message), MAX_CAUSE_LENGTH);
  return message === '' ? cause.name : `${cause.name}: ${message}`;
}
