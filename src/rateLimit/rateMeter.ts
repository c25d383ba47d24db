const SLOT_MS = 100;
const SLOTS = 10;

/**
 * Counts events (successful requests) over the last second, in ten 100 ms slots: O(1) per event,
 * fixed memory. `perSec` is the count over the last second divided by one second, so a burst of 20
 * replies that all came back within 100 ms reads as 20 per second, the rate a server sustained.
 */
export class RateMeter {
  private readonly counts = new Float64Array(SLOTS);
  /** The slot each count is for (a count of 0 needs no valid slot). */
  private readonly stamps = new Float64Array(SLOTS);

  /** Records one event at `now` (ms). */
  record(now: number): void {
    const slot = Math.floor(now / SLOT_MS);
    const i = slot % SLOTS; // Date.now() is never negative
    if (this.stamps[i] !== slot) {
      this.stamps[i] = slot;
      this.counts[i] = 0;
    }
    this.counts[i] = (this.counts[i] ?? 0) + 1;
  }

  /** Events per second over the last second before `now`. */
  perSec(now: number): number {
    const oldest = Math.floor(now / SLOT_MS) - SLOTS;
    let sum = 0;
    this.stamps.forEach((stamp, i) => {
      if (stamp > oldest) sum += this.counts[i] ?? 0;
    });
    return (sum * 1000) / (SLOTS * SLOT_MS);
  }
}
