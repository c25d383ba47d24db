import { describe, expect, it } from 'vitest';
import { RETRY_BUDGET_DEFAULTS, RetryBudget } from '../../src/pipeline/RetryBudget.js';

const T0 = 1_700_000_000_000;

/** Withdraws until refused (at most `limit` times); how many were granted. */
function drain(budget: RetryBudget, now: number, limit = 10_000): number {
  let granted = 0;
  while (granted < limit && budget.tryWithdraw(now)) granted++;
  return granted;
}

describe('RetryBudget', () => {
  it('defaults to 20% of the calls plus 10 retries a second over 10 s', () => {
    expect(RETRY_BUDGET_DEFAULTS).toEqual({ percent: 20, minPerSec: 10, windowMs: 10_000 });
    expect(new RetryBudget().options).toEqual(RETRY_BUDGET_DEFAULTS);
    expect(new RetryBudget({ percent: 5, windowMs: undefined } as never).options).toEqual({
      percent: 5,
      minPerSec: 10,
      windowMs: 10_000,
    });
  });

  it('gives quiet traffic its reserve: minPerSec × the window, with no call at all', () => {
    expect(drain(new RetryBudget(), T0)).toBe(100);
    expect(drain(new RetryBudget({ minPerSec: 0.5, windowMs: 4_000 }), T0)).toBe(2);
    expect(drain(new RetryBudget({ minPerSec: 0 }), T0)).toBe(0);
  });

  it('adds percent of the calls in the window to the reserve', () => {
    const budget = new RetryBudget({ percent: 20, minPerSec: 0 });
    for (let i = 0; i < 50; i++) budget.deposit(T0 + i);
    expect(drain(budget, T0 + 100)).toBe(10);
    budget.deposit(T0 + 200);
    expect(budget.tryWithdraw(T0 + 200)).toBe(false);
    for (let i = 0; i < 4; i++) budget.deposit(T0 + 300);
    expect(drain(budget, T0 + 300)).toBe(1);
  });

  it('forgets calls and retries once they leave the window', () => {
    const budget = new RetryBudget({ percent: 50, minPerSec: 0.1, windowMs: 10_000 });
    for (let i = 0; i < 10; i++) budget.deposit(T0);
    expect(drain(budget, T0)).toBe(6);
    // Within the window both stay; a slice past it both are gone and only the reserve is left.
    expect(drain(budget, T0 + 9_000)).toBe(0);
    expect(drain(budget, T0 + 11_000)).toBe(1);
    expect(drain(budget, T0 + 60_000)).toBe(1);
  });

  it('counts no call from the slice that straddles the start of the window', () => {
    // Every slice of the ring in turn: at start + 10 s, the slice of start is the oldest.
    for (let second = 0; second <= 10; second++) {
      const start = T0 + second * 1_000;
      const budget = new RetryBudget({ percent: 100, minPerSec: 0, windowMs: 10_000 });
      budget.deposit(start);
      budget.deposit(start + 9_000);
      expect(drain(budget, start + 10_000)).toBe(1);
    }
    const fresh = new RetryBudget({ percent: 100, minPerSec: 0, windowMs: 10_000 });
    fresh.deposit(T0 + 9_000);
    expect(drain(fresh, T0 + 10_000)).toBe(1);
  });

  it('reads a clock that goes back as standing still', () => {
    const budget = new RetryBudget({ percent: 100, minPerSec: 0 });
    budget.deposit(T0 + 5_000);
    expect(budget.tryWithdraw(T0)).toBe(true);
    expect(budget.tryWithdraw(T0)).toBe(false);
  });

  it('keeps the calls counted before the clock went back once it comes forward again', () => {
    const budget = new RetryBudget({ percent: 100, minPerSec: 0 });
    budget.deposit(T0 + 5_000);
    budget.deposit(T0 + 5_000);
    expect(budget.tryWithdraw(T0)).toBe(true);
    expect(budget.tryWithdraw(T0 + 5_000)).toBe(true);
    expect(budget.tryWithdraw(T0 + 5_000)).toBe(false);
  });

  it('refuses bad options, naming the option path and the value', () => {
    expect(() => new RetryBudget({ percent: -1 })).toThrow(
      new TypeError('retryBudget.percent must be a finite number >= 0, got -1'),
    );
    expect(() => new RetryBudget({ minPerSec: Number.NaN })).toThrow(
      new TypeError('retryBudget.minPerSec must be a finite number >= 0, got NaN'),
    );
    expect(() => new RetryBudget({ windowMs: 0 })).toThrow(
      /^retryBudget\.windowMs must be a number of milliseconds > 0 and <= 2147483647, got 0$/,
    );
    expect(() => new RetryBudget({ ratio: 0.2 } as never)).toThrow(
      /^retryBudget\.ratio is not a retry budget option \(known: percent, minPerSec, windowMs\), got 0\.2$/,
    );
    expect(() => new RetryBudget('20%' as never)).toThrow(
      new TypeError('retryBudget must be an object, a RetryBudgetStore or false, got "20%"'),
    );
    expect(() => new RetryBudget(null as never)).toThrow(
      new TypeError('retryBudget must be an object, a RetryBudgetStore or false, got null'),
    );
    const withTryWithdraw = Object.assign(() => 0, { tryWithdraw: () => true, deposit: () => {} });
    expect(() => new RetryBudget(withTryWithdraw as never)).toThrow(
      new TypeError('retryBudget must be an object, a RetryBudgetStore or false, got a function'),
    );
    expect(() => new RetryBudget(new RetryBudget() as never)).toThrow(
      /^retryBudget must be an object of retry budget options, got /,
    );
  });
});
