/**
 * How long a request counts as in flight at most: replies that never come (an attempt that failed
 * otherwise, or was abandoned) stop counting after this.
 */
const HORIZON_MS = 60_000;

/**
 * The send times of the requests still waiting for a reply, oldest first. Replies are matched to
 * sends in order (the oldest request is assumed to answer first), which is what lets the gate tell
 * a 429 to a request sent before it slowed down (stale) from one sent after (fresh).
 */
export class InFlight {
  private times: number[] = [];
  private head = 0;

  /** Requests in flight (sent within the horizon, not yet answered). */
  size(now: number): number {
    this.forgetOlderThan(now - HORIZON_MS);
    return this.times.length - this.head;
  }

  /** A request was sent at `now`. */
  sent(now: number): void {
    this.forgetOlderThan(now - HORIZON_MS);
    this.times.push(now);
  }

  /**
   * A reply came back: forgets the oldest request in flight. A reply with none in flight (to a
   * request already forgotten after the horizon) leaves the head one past the end, which
   * `compact` turns back into an empty array.
   */
  answered(): void {
    this.head++;
    this.compact();
  }

  private forgetOlderThan(oldest: number): void {
    while ((this.times[this.head] ?? oldest) < oldest) this.head++;
    this.compact();
  }

  /** Drops the forgotten times once they are more than half the array (amortised O(1) a call). */
  private compact(): void {
    if (this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
