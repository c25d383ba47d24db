import { InFlight } from './inFlight.js';
import { RateMeter } from './rateMeter.js';
import { TokenBucket } from './tokenBucket.js';

/** The tuning of an {@link AdaptivePace}; the defaults are in `RateLimitOptions`. */
export interface PaceTuning {
  /** Additive increase: requests per second added per second of successes while callers wait. */
  increasePerSec: number;
  /** Multiplicative decrease: the pace is multiplied by this on a fresh 429. */
  decreaseFactor: number;
  /** The pace never goes below this (requests per second). */
  minRatePerSec: number;
}

/**
 * The pace learned from 429s (AIMD). Unlimited until the first 429. Then:
 * - start: the rate of successes over the last second (what the server just sustained), raised
 *   while the replies to requests already in flight at that 429 still come back;
 * - additive increase: `+increasePerSec` per second of successes while callers are waiting;
 * - multiplicative decrease: `× decreaseFactor` on a fresh 429, one sent after the last change.
 *   A 429 to a request sent before the last change (stale) changes nothing, so the replies to one
 *   wave of requests cut the pace once, not once each.
 * The pace is enforced by a token bucket of one second's worth (at least one request), held on
 * every 429 until the gate reopens, so a reopened gate sends one request, then one per step, and
 * never a saved-up burst.
 */
export class AdaptivePace {
  private rate: number | undefined;
  private bucket: TokenBucket | undefined;
  private readonly meter = new RateMeter();
  private readonly inFlight = new InFlight();
  /** Replies still expected to requests sent before the last change of pace. */
  private staleLeft = 0;
  /** True from the first 429 until the replies of the requests then in flight are all in. */
  private estimatingFirst = false;

  constructor(private readonly tuning: PaceTuning) {}

  /** The pace in requests per second; `undefined` before the first 429 (no pacing). */
  get ratePerSec(): number | undefined {
    return this.rate;
  }

  /** True while the first estimate is still being raised by replies to the first wave. */
  get estimating(): boolean {
    return this.estimatingFirst;
  }

  /** Milliseconds until the pace lets the next request go (0 while unpaced). */
  waitMs(now: number): number {
    return this.bucket === undefined ? 0 : this.bucket.waitMs(1, now);
  }

  /** A request was let through at `now`. */
  sent(now: number): void {
    this.bucket?.take(1, now);
    this.inFlight.sent(now);
  }

  /**
   * A request succeeded. `backlogged` says whether callers are waiting on the pace (not on
   * something slower): only then does a success raise it.
   */
  succeeded(now: number, backlogged: boolean): void {
    const stale = this.answered(now);
    this.meter.record(now);
    if (this.rate !== undefined) {
      if (this.estimatingFirst) this.setRate(Math.max(this.rate, this.meter.perSec(now)), now);
      else if (!stale && backlogged)
        this.setRate(this.rate + this.tuning.increasePerSec / this.rate, now);
    }
    this.endEstimate();
  }

  /** A request was answered with 429. Returns whether it was fresh (sent after the last change). */
  rateLimited(now: number): boolean {
    const stale = this.answered(now);
    const measured = this.meter.perSec(now);
    if (this.rate === undefined) {
      this.estimatingFirst = true;
      this.setRate(measured, now);
      this.staleLeft = this.inFlight.size(now);
    } else if (this.estimatingFirst) {
      this.setRate(Math.max(this.rate, measured), now);
    } else if (!stale) {
      this.setRate(this.rate * this.tuning.decreaseFactor, now);
      this.staleLeft = this.inFlight.size(now);
    }
    this.endEstimate();
    return !stale;
  }

  /** After a 429: the next request goes at `reopenAt` at the earliest, then one per step. */
  holdUntil(reopenAt: number, now: number): void {
    this.bucket?.holdUntil(reopenAt, now);
  }

  /** Matches a reply to the oldest request in flight; returns whether it was stale. */
  private answered(now: number): boolean {
    this.inFlight.answered();
    this.staleLeft = Math.min(this.staleLeft, this.inFlight.size(now) + 1);
    if (this.staleLeft === 0) return false;
    this.staleLeft--;
    return true;
  }

  private endEstimate(): void {
    if (this.staleLeft === 0) this.estimatingFirst = false;
  }

  private setRate(ratePerSec: number, now: number): void {
    const rate = Math.max(this.tuning.minRatePerSec, ratePerSec);
    this.rate = rate;
    const capacity = Math.max(1, rate);
    if (this.bucket === undefined) this.bucket = new TokenBucket(rate, capacity, now);
    else this.bucket.reset(rate, capacity, now);
  }
}
