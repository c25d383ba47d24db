import { refuse } from '../validate.js';
import { checkRetryBudget, type RetryBudgetOptions } from './options.js';

/**
 * Where a retry budget's state lives: the in-memory {@link RetryBudget}, or a store shared
 * between processes. The retry stage calls `deposit` once per call and `tryWithdraw` before
 * each retry the budget bounds; `now` is `Date.now()`. `tryWithdraw` may answer with a promise
 * (a remote store). Neither should throw: a deposit that throws is lost, and a retry whose answer
 * throws or rejects is made.
 */
export interface RetryBudgetStore {
  /** Counts one call, made at `now`. */
  deposit(now: number): void;
  /** Takes one retry at `now` if the budget has room for it; whether it did. */
  tryWithdraw(now: number): boolean | PromiseLike<boolean>;
}

/**
 * The defaults of a retry budget's options, those of Finagle, Linkerd and Envoy: retries within
 * any 10 s are at most 20% of the calls in them plus 10 a second (100), so a lone failure in
 * quiet traffic keeps all its retries while a partial outage adds at most a fifth to the load.
 */
export const RETRY_BUDGET_DEFAULTS: Readonly<RetryBudgetOptions> = Object.freeze({
  percent: 20,
  minPerSec: 10,
  windowMs: 10_000,
});

/** The slices a window is cut into: deposits and withdrawals expire a slice at a time. */
const SLICES = 10;

/**
 * A retry budget's state, in memory: retries allowed within any `windowMs` are `percent` % of
 * the calls deposited in it plus `minPerSec` a second (Finagle's `RetryBudget`, Envoy's and
 * Linkerd's retry budgets). The window is cut into 10 slices; a retry counts deposits only from
 * slices wholly inside the window and withdrawals from every slice it touches, so the budget is
 * never exceeded over any window ending at a retry, whatever the sequence of calls. Memory and
 * time are constant. A clock that goes back is read as standing still.
 */
export class RetryBudget implements RetryBudgetStore {
  /** The options, each defaulting to `RETRY_BUDGET_DEFAULTS`. */
  readonly options: Readonly<RetryBudgetOptions>;
  private readonly sliceMs: number;
  /** Retries a window allows with no call in it, times 100 (the unit of `percent`). */
  private readonly reserve: number;
  private readonly deposits = new Array<number>(SLICES + 1).fill(0);
  private readonly withdrawals = new Array<number>(SLICES + 1).fill(0);
  /** The slice the arrays end at; slice `s` is kept at index `s % (SLICES + 1)`. */
  private slice = 0;

  /**
   * Checks `options` (a TypeError names a bad one and its value, at `path`) and fills in
   * {@link RETRY_BUDGET_DEFAULTS}.
   */
  constructor(options: Partial<RetryBudgetOptions> = {}, path = 'retryBudget') {
    if (isRetryBudgetStore(options)) refuse(path, 'an object of retry budget options', options);
    const given = checkRetryBudget(options, path) as Partial<RetryBudgetOptions>;
    const o = { ...RETRY_BUDGET_DEFAULTS };
    for (const key of Object.keys(o) as (keyof RetryBudgetOptions)[]) {
      const value = given[key];
      if (value !== undefined) o[key] = value;
    }
    this.options = Object.freeze(o);
    this.sliceMs = o.windowMs / SLICES;
    this.reserve = o.minPerSec * (o.windowMs / 1_000) * 100;
  }

  /** Counts one call, made at `now`. */
  deposit(now: number): void {
    const index = this.advance(now);
    this.deposits[index] = (this.deposits[index] ?? 0) + 1;
  }

  /** Takes one retry at `now` if the window has room for it; whether it did. */
  tryWithdraw(now: number): boolean {
    const index = this.advance(now);
    let deposited = 0;
    let withdrawn = 0;
    for (let i = 0; i <= SLICES; i++) {
      withdrawn += this.withdrawals[i] ?? 0;
      // The oldest slice straddles the window's start: its calls may be older than the window.
      if (i !== (index + 1) % (SLICES + 1)) deposited += this.deposits[i] ?? 0;
    }
    if ((withdrawn + 1) * 100 > this.options.percent * deposited + this.reserve) return false;
    this.withdrawals[index] = (this.withdrawals[index] ?? 0) + 1;
    return true;
  }

  /** Moves the slices on to `now`'s, emptying those that left the window; returns its index. */
  private advance(now: number): number {
    const slice = Math.floor(now / this.sliceMs);
    if (slice > this.slice) {
      const cleared = Math.min(slice - this.slice, SLICES + 1);
      for (let s = slice - cleared + 1; s <= slice; s++) {
        const index = s % (SLICES + 1);
        this.deposits[index] = 0;
        this.withdrawals[index] = 0;
      }
      this.slice = slice;
    }
    return this.slice % (SLICES + 1);
  }
}

/** Whether `value` is a retry budget's store rather than its options. */
export function isRetryBudgetStore(value: unknown): value is RetryBudgetStore {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<RetryBudgetStore>).tryWithdraw === 'function'
  );
}
