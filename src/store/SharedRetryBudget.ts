import type { RetryBudget, RetryBudgetStore } from '../pipeline/RetryBudget.js';
import type { HeldLeave } from './heldLeave.js';
import type { SharedRetryBudgetReport } from './PolicyStore.js';
import type { SharedState } from './SharedState.js';

/**
 * A retry budget kept in a store and shared by every policy of the same name, in any process:
 * the fleet's retries within any `windowMs` are `percent` % of the fleet's calls in it plus
 * `minPerSec` a second. A call is counted at once in this process's own budget, and reaches the
 * store with the next retry asked or within a tenth of the window (one round trip for all the
 * calls counted meanwhile). A retry is asked with the failed attempt's way out, in the same round
 * trip. While the store is unavailable, this process's own budget decides.
 */
export class SharedRetryBudget implements RetryBudgetStore {
  /** Calls counted here and not yet sent to the store. */
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(
    /** This process's own budget: it counts every call, and decides while the store is down. */
    readonly local: RetryBudget,
    private readonly shared: SharedState,
  ) {}

  /** Counts one call, made at `now`. */
  deposit(now: number): void {
    this.local.deposit(now);
    this.pending++;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending > 0) void this.shared.leave({ sentAt: 0, retryBudget: this.report(false) });
    }, this.local.options.windowMs / 10);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Takes one retry at `now` if the fleet's budget has room for it (one round trip). */
  tryWithdraw(now: number): Promise<boolean> {
    return this.withdrawWith(now, undefined);
  }

  /**
   * {@link SharedRetryBudget.tryWithdraw}, asked with the last of the failed attempt's ways out
   * (`held`) that goes to this budget's store; the others are sent as they are.
   */
  withdrawWith(now: number, held: readonly HeldLeave[] | undefined): Promise<boolean> {
    let own: HeldLeave | undefined;
    for (const leave of held ?? []) {
      if (leave.shared !== this.shared) void leave.send();
      else {
        if (own !== undefined) void own.send();
        own = leave;
      }
    }
    const retryBudget = this.report(true);
    const answer =
      own === undefined ? this.shared.leave({ sentAt: 0, retryBudget }) : own.send(retryBudget);
    return answer.then((left) => left?.retryGranted ?? this.local.tryWithdraw(now));
  }

  /** The budget's part of a way out, with the calls counted since the last. */
  private report(withdraw: boolean): SharedRetryBudgetReport {
    const deposits = this.pending;
    this.pending = 0;
    return { ...this.local.options, deposits, withdraw };
  }
}
