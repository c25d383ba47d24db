/** Which of the toolkit's timeouts fired. */
export type TimeoutScope = 'attempt' | 'total' | 'firstToken' | 'idle';

/**
 * Thrown when one of the toolkit's own timeouts fires: an attempt (`attempt`), the whole call
 * including retries (`total`), a stream's wait for its first chunk (`firstToken`) or for the next
 * chunk (`idle`). Classified as kind `timeout`.
 */
export class TimeoutError extends Error {
  /** Always `'TimeoutError'`. */
  override readonly name = 'TimeoutError';
  /** Marks errors made by this toolkit, so classification works across copies of the package. */
  readonly isLlmResilienceTimeout = true;

  constructor(
    /** Which timeout fired. */
    readonly scope: TimeoutScope,
    /** The limit that was exceeded, in milliseconds. */
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`${scope} timeout: no result within ${timeoutMs} ms`, options);
  }
}
