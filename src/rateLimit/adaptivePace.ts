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
  /** The pace is forgotten once no 429 has come for this long after the gate reopened (ms). */
  forgetAfterMs: number;
}

/** No cut within this many ms of the last: sporadic 429s cut the pace once a second at most. */
const CUT_INTERVAL_MS = 1000;

/**
 * The pace learned from 429s (AIMD with a fast recovery, as CUBIC after a loss), for as long as
 * the congestion it was learned from lasts. Unlimited until a 429 that tells something about the
 * server's rate. Then:
 * - lone 429: a 429 to the only request in flight, with no other 429 in the quiet period before
 *   it, sets no pace (one request says nothing about a rate): the gate only closes for its wait;
 * - start: the rate of successes over the last second (what the server just sustained), raised
 *   while the replies to requests already in flight at that 429 still come back, and never below
 *   the rate the waits announced meanwhile imply (one request per the longest wait);
 * - recovery: after a cut, the pace climbs back to the pace it was cut from within about a
 *   second of successes while callers are waiting (the size of the cut per second);
 * - additive increase above that: `+increasePerSec` per second of successes while callers wait;
 * - multiplicative decrease: `× decreaseFactor` on a fresh 429, one sent after the last change
 *   and at least a second after the last cut. A 429 to a request sent before the last change
 *   (stale) changes nothing, so the replies to one wave of requests cut the pace once, not once
 *   each; and sporadic 429s (a small fraction refused at random) cannot cut it again before it
 *   has recovered. A start that only the waits implied is a guess: its first cut is made from
 *   the successes of the last second when they are fewer;
 * - forgetting: once no 429 has come for `forgetAfterMs` after the gate last reopened, the pace
 *   is dropped the next time nobody waits on the gate ({@link forgetIfQuiet}): unlimited again.
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
  /** True while the pace is the rate a 429's wait implied, above what the server sustained. */
  private implied = false;
  /** The longest wait a 429 announced during the first estimate (ms). */
  private longestWaitMs = 0;
  /** When the gate reopens after the last 429: the quiet period is counted from there. */
  private quietFrom = Number.NEGATIVE_INFINITY;

  constructor(private readonly tuning: PaceTuning) {}

  /** The pace in requests per second; `undefined` while unpaced (before a pace is learned). */
  get ratePerSec(): number | undefined {
    return this.rate;
  }

  /** True while the first estimate is still being raised by replies to the first wave. */
  get estimating(): boolean {
    return this.estimatingFirst;
  }

  /**
   * Milliseconds until the pace lets the next request go (0 while unpaced), after `ahead`
   * requests let go first. Default `ahead`: 0.
   */
  waitMs(now: number, ahead = 0): number {
    return this.bucket === undefined ? 0 : this.bucket.waitMs(1, now, ahead);
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
    this.endEstimate(now);
  }

  /**
   * A request was answered with 429. Returns whether it was fresh (sent after the last change).
   * The gate then calls {@link closed} with the wait it closes for.
   */
  rateLimited(now: number): boolean {
    const stale = this.answered(now);
    if (this.rate === undefined) {
      if (this.inFlight.size(now) > 0 || !this.quiet(now)) this.startEstimate(now);
    } else if (!stale && now - this.cutAt >= CUT_INTERVAL_MS) {
      this.recoverTo = this.cutFrom(this.rate, now);
      this.implied = false;
      this.cutAt = now;
      this.setRate(this.recoverTo * this.tuning.decreaseFactor, now);
      this.staleLeft = this.inFlight.size(now);
    }
    return !stale;
  }

  /**
   * After a 429 that closed the gate for `waitMs`, until `reopenAt` (the gate's latest reopening,
   * which never moves back): the next request goes at `reopenAt` at the earliest, then one per step, and the quiet
   * period that forgets the pace starts again from there.
   */
  closed(waitMs: number, reopenAt: number, now: number): void {
    this.quietFrom = reopenAt;
    this.longestWaitMs = Math.max(this.longestWaitMs, waitMs);
    this.endEstimate(now);
    this.bucket?.holdUntil(reopenAt, now);
  }

  /**
   * Forgets the pace if no 429 has come for `forgetAfterMs` since the gate last reopened: the
   * congestion it was learned from is over. Call it only while nobody waits on the gate, so that
   * forgetting never releases a queue at once. Returns whether the pace was forgotten.
   */
  forgetIfQuiet(now: number): boolean {
    if (this.rate === undefined || !this.quiet(now)) return false;
    this.rate = undefined;
    this.bucket = undefined;
    this.estimatingFirst = false;
    this.staleLeft = 0;
    return true;
  }

  /** Whether no 429 has come for `forgetAfterMs` since the gate last reopened. */
  private quiet(now: number): boolean {
    return now - this.quietFrom >= this.tuning.forgetAfterMs;
  }

  /**
   * A first estimate starts afresh (nothing of a forgotten pace is kept): from the successes of
   * the last second, until the wave is in.
   */
  private startEstimate(now: number): void {
    this.estimatingFirst = true;
    this.longestWaitMs = 0;
    this.implied = false;
    this.recoverTo = 0;
    this.cutAt = Number.NEGATIVE_INFINITY;
    this.setRate(this.meter.perSec(now), now);
    this.staleLeft = this.inFlight.size(now);
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

  /**
   * Ends the first estimate once the replies of the first wave are all in, raising it to the
   * rate its 429s' waits imply: a server that asks for a wait of `w` ms takes a request every
   * `w` ms at least.
   */
  private endEstimate(now: number): void {
    if (this.staleLeft > 0 || !this.estimatingFirst) return;
    this.estimatingFirst = false;
    if (this.longestWaitMs > 0) {
      const implied = 1000 / this.longestWaitMs;
      if (implied > (this.rate ?? 0)) {
        this.setRate(implied, now);
        this.implied = true;
      }
    }
  }

  /**
   * The pace a fresh 429 cuts from: the pace itself, or, while it is still the rate a wait
   * implied (a guess no success has confirmed yet), the successes of the last second when lower
   * and not none.
   */
  private cutFrom(rate: number, now: number): number {
    const sustained = this.meter.perSec(now);
    return this.implied && sustained > 0 ? Math.min(rate, sustained) : rate;
  }

  private setRate(ratePerSec: number, now: number): void {
    const rate = Math.max(this.tuning.minRatePerSec, ratePerSec);
    this.rate = rate;
    const capacity = Math.max(1, rate);
    if (this.bucket === undefined) this.bucket = new TokenBucket(rate, capacity, now);
    else this.bucket.reset(rate, capacity, now);
  }
}
