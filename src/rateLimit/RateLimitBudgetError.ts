/**
 * Thrown (as a rejection of `acquire`, so of the call) when a call costs more tokens than the
 * whole `tokensPerMinute` budget: it could never be sent, so it fails at once instead of waiting.
 * A TypeError (bad input), never worth retrying.
 */
export class RateLimitBudgetError extends TypeError {
  /** Always `'RateLimitBudgetError'`. */
  override readonly name = 'RateLimitBudgetError';
  /** Marks errors made by this toolkit, so classification works across copies of the package. */
  readonly isLlmResilienceBudget = true;

  constructor(
    /** The call's token cost. */
    readonly tokens: number,
    /** The budget it exceeds. */
    readonly tokensPerMinute: number,
  ) {
    super(
      `rateLimit: the call costs ${tokens} tokens, more than the whole budget of tokensPerMinute ${tokensPerMinute}; it could never be sent`,
    );
  }
}
