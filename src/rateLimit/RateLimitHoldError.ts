/**
 * Thrown (as a rejection of `acquire`, so of the attempt) instead of waiting when the rate-limit
 * gate would hold a call longer than the call accepts (`execute(fn, { maxWaitMs })`, which a
 * fallback policy sets on each route but the last): the gate closed after a 429, the learned pace
 * or a `requestsPerMinute` / `tokensPerMinute` budget would keep it back for `waitMs`. No request
 * was sent. Classified `rate_limit` (retryable, no server status); the retry stage does not wait
 * for it either (its `giveUp` event says `wait_too_long`), so a fallback policy moves on at once.
 */
export class RateLimitHoldError extends Error {
  /** Always `'RateLimitHoldError'`. */
  override readonly name = 'RateLimitHoldError';
  /** Marks errors made by this toolkit, so classification works across copies of the package. */
  readonly isLlmResilienceRateLimitHold = true;

  constructor(
    /** How long the gate would have held the call, in ms (an estimate, rounded up). */
    readonly waitMs: number,
    /** The longest wait the call accepted, in ms. */
    readonly maxWaitMs: number,
  ) {
    super(
      `rateLimit: the gate would hold this call ${waitMs} ms, longer than its maxWaitMs ${maxWaitMs}; no request was sent`,
    );
  }
}
