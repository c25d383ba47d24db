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

/** No cut within this many ms of the last: sporadic 429s cut the pace once a second at most. */
const CUT_INTERVAL_MS = 1000;

/**
 * The pace learned from 429s (AIMD with a fast recovery, as CUBIC after a loss). Unlimited until
 * the first 429. Then:
 * - start: the rate of successes over the last second (what the server just sustained), raised
 *   while the replies to requests already in flight at that 429 still come back;
 * - recovery: after a cut, the pace climbs back to the pace it was cut from within about a
 *   second of successes while callers are waiting (the size of the cut per second);
 * - additive increase above that: `+increasePerSec` per second of successes while callers wait;
 * - multiplicative decrease: `× decreaseFactor` on a fresh 429, one sent after the last change
 *   and at least a second after the last cut. A 429 to a request sent before the last change
 *   (stale) changes nothing, so the replies to one wave of requests cut the pace once, not once
 *   each; and sporadic 429s (a small fraction refused at random) cannot cut it again before it
 *   has recovered.
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
  /** The pace the last cut was made from: recovered at the size of that cut per second. */
  private recoverTo = 0;
  /** When the pace was last cut. */
  private cutAt = Number.NEGATIVE_INFINITY;

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
      else if (!stale && backlogged) this.setRate(this.increased(this.rate), now);
    }
    this.endEstimate();
  }

  /** A request was answered with 429. Returns whether it was fresh (sent after the last change). */
  rateLimited(now: number): boolean {
    const stale = this.answered(now);
    if (this.rate === undefined) {
      this.estimatingFirst = true;
      this.setRate(this.meter.perSec(now), now);
      this.staleLeft = this.inFlight.size(now);
    } else if (!stale && now - this.cutAt >= CUT_INTERVAL_MS) {
      this.recoverTo = this.rate;
      this.cutAt = now;
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

  /**
   * The pace after one more success: below the pace of the last cut, a success adds
   * 1/rate of the cut's size (the cut is regained in about a second); above it, 1/rate of
   * `increasePerSec`. Never overshoots the pace of the last cut by more than the additive step.
   */
  private increased(rate: number): number {
    const additive = rate + this.tuning.increasePerSec / rate;
    const cut = this.recoverTo * (1 - this.tuning.decreaseFactor);
    return Math.max(additive, Math.min(this.recoverTo, rate + cut / rate));
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
