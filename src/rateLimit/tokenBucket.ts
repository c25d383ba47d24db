/** Float slack: a bucket refilled for exactly the announced wait counts as having the cost. */
const EPSILON = 1e-9;

/**
 * A token bucket: `capacity` tokens at most, refilled continuously at `ratePerSec`, starting full.
 * A cost larger than the capacity may be taken once the bucket is full; the level then goes
 * negative (a debt the refill pays back before anything else is allowed). Times are milliseconds
 * from `Date.now()`, passed in so one reading serves several buckets.
 */
export class TokenBucket {
  private level: number;
  private updatedAt: number;

  constructor(
    private ratePerSec: number,
    private capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.updatedAt = now;
  }

  /**
   * Milliseconds until `cost` may be taken (0 when it may be taken now), after `ahead` tokens
   * taken first by the callers before it. Default `ahead`: 0.
   */
  waitMs(cost: number, now: number, ahead = 0): number {
    this.refill(now);
    const missing = ahead + Math.min(cost, this.capacity) - this.level;
    return missing <= EPSILON ? 0 : (missing * 1000) / this.ratePerSec;
  }

  /** Takes `cost` tokens (call it once `waitMs` says 0). */
  take(cost: number, now: number): void {
    this.refill(now);
    this.level -= cost;
  }

  /**
   * Drops the tokens saved up (keeps a debt) so that the next token comes at `at` at the earliest,
   * and the ones after it at the refill rate: no saved-up burst once `at` has passed.
   */
  holdUntil(at: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.level, 1 - ((at - now) * this.ratePerSec) / 1000);
  }

  /** Changes the refill rate and capacity from now on; the level is kept, up to the new capacity. */
  reset(ratePerSec: number, capacity: number, now: number): void {
    this.refill(now);
    this.ratePerSec = ratePerSec;
    this.capacity = capacity;
    this.level = Math.min(this.level, capacity);
  }

  /**
   * Takes `cost` more tokens (a debt when it goes below 0) or, for a negative `cost`, gives
   * tokens back, up to the capacity: the correction of a cost taken on a guess.
   */
  adjust(cost: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level - cost);
  }

  /** Adds the tokens earned since the last reading; a clock stepped back earns nothing. */
  private refill(now: number): void {
    const elapsedMs = Math.max(0, now - this.updatedAt);
    this.level = Math.min(this.capacity, this.level + (elapsedMs * this.ratePerSec) / 1000);
    this.updatedAt = Math.max(this.updatedAt, now);
  }
}
