import { afterEach, describe, expect, it, vi } from 'vitest';
import { RetryBudget } from '../../src/pipeline/RetryBudget.js';
import { Reporter } from '../../src/pipeline/reporter.js';
import { type HeldLeave, sendLeave } from '../../src/store/heldLeave.js';
import type { LeaveAnswer, LeaveReport, PolicyStateStore } from '../../src/store/PolicyStore.js';
import { SharedRetryBudget } from '../../src/store/SharedRetryBudget.js';
import { SharedState } from '../../src/store/SharedState.js';
import { LEFT } from '../support/storeAnswers.js';

// The retry budget's side of a store, against a store that records what it is sent and answers
// as the test says (the Redis store's budget is tested against real redis-servers).

function recordingStore(answer: () => Promise<LeaveAnswer>) {
  const sent: LeaveReport[] = [];
  const store: PolicyStateStore = {
    timeoutMs: 200,
    enter: () => Promise.reject(new Error('not used')),
    leave: (report) => {
      sent.push(report);
      return answer();
    },
    ping: () => Promise.resolve(),
  };
  return { shared: new SharedState(store, new Reporter()), sent };
}

const OPTIONS = { percent: 50, minPerSec: 0, windowMs: 1_000 };

describe('a retry budget shared through a store', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("asks with the last of the attempt's ways out to its store, and sends the others as they are", async () => {
    const { shared, sent } = recordingStore(() => Promise.resolve({ ...LEFT, retryGranted: true }));
    const other = recordingStore(() => Promise.resolve(LEFT));
    const budget = new SharedRetryBudget(new RetryBudget(OPTIONS), shared);
    budget.deposit(Date.now());
    budget.deposit(Date.now());
    const held: HeldLeave[] = [];
    const heard: number[] = [];
    sendLeave(shared, held, { sentAt: 1 }, () => heard.push(1));
    sendLeave(other.shared, held, { sentAt: 2 }, () => heard.push(2));
    sendLeave(shared, held, { sentAt: 3 }, () => heard.push(3));
    expect(sent).toEqual([]); // held until the retry stage decides
    await expect(budget.withdrawWith(Date.now(), held)).resolves.toBe(true);
    expect(other.sent).toStrictEqual([{ sentAt: 2 }]);
    expect(sent).toStrictEqual([
      { sentAt: 1 },
      { sentAt: 3, retryBudget: { ...OPTIONS, deposits: 2, withdraw: true } },
    ]);
    expect(heard.sort()).toEqual([1, 2, 3]);
  });

  it("asks in a way out of its own when the attempt had none, and follows the store's answer", async () => {
    const { shared, sent } = recordingStore(() =>
      Promise.resolve({ ...LEFT, retryGranted: false }),
    );
    const budget = new SharedRetryBudget(new RetryBudget(OPTIONS), shared);
    budget.deposit(Date.now());
    // The process's own budget would grant it (2 calls); the fleet's refuses.
    budget.deposit(Date.now());
    await expect(budget.tryWithdraw(Date.now())).resolves.toBe(false);
    expect(sent).toEqual([{ sentAt: 0, retryBudget: { ...OPTIONS, deposits: 2, withdraw: true } }]);
  });

  it("lets the process's own budget decide while the store is unavailable", async () => {
    const { shared } = recordingStore(() => Promise.reject(new Error('down')));
    const budget = new SharedRetryBudget(new RetryBudget(OPTIONS), shared);
    const now = Date.now();
    for (let i = 0; i < 4; i++) budget.deposit(now);
    // 4 calls allow 2 retries in this process.
    const granted = [];
    for (let i = 0; i < 3; i++) granted.push(await budget.tryWithdraw(now));
    expect(granted).toEqual([true, true, false]);
    expect(shared.available).toBe(false);
  });

  it('sends the calls it counted within a tenth of the window when no retry is asked', async () => {
    const { shared, sent } = recordingStore(() => Promise.resolve(LEFT));
    const budget = new SharedRetryBudget(new RetryBudget(OPTIONS), shared);
    budget.deposit(Date.now());
    budget.deposit(Date.now());
    expect(sent).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    budget.deposit(Date.now());
    expect(sent).toEqual([
      { sentAt: 0, retryBudget: { ...OPTIONS, deposits: 2, withdraw: false } },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sent).toHaveLength(2);
    expect(sent[1]?.retryBudget?.deposits).toBe(1);
  });

  it("asks its own store though the attempt's last way out goes to another", async () => {
    const { shared, sent } = recordingStore(() => Promise.resolve({ ...LEFT, retryGranted: true }));
    const other = recordingStore(() => Promise.resolve(LEFT));
    const budget = new SharedRetryBudget(new RetryBudget(OPTIONS), shared);
    budget.deposit(Date.now());
    const held: HeldLeave[] = [];
    sendLeave(shared, held, { sentAt: 1 }, () => {});
    sendLeave(other.shared, held, { sentAt: 2 }, () => {});
    await expect(budget.withdrawWith(Date.now(), held)).resolves.toBe(true);
    expect(sent).toStrictEqual([
      { sentAt: 1, retryBudget: { ...OPTIONS, deposits: 1, withdraw: true } },
    ]);
    expect(other.sent).toStrictEqual([{ sentAt: 2 }]);
  });

  it('hands no answer on while the store is unavailable', async () => {
    const { shared } = recordingStore(() => Promise.reject(new Error('down')));
    const heard: unknown[] = [];
    sendLeave(shared, undefined, { sentAt: 1 }, (answer) => heard.push(answer));
    const held: HeldLeave[] = [];
    sendLeave(shared, held, { sentAt: 2 }, (answer) => heard.push(answer));
    await expect(held[0]?.send()).resolves.toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(shared.available).toBe(false);
    expect(heard).toEqual([]);
  });

  it('sends the calls it counted in one round trip a tenth of the window, however many come', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { shared, sent } = recordingStore(() => Promise.resolve(LEFT));
    const budget = new SharedRetryBudget(new RetryBudget(OPTIONS), shared);
    const start = Date.now();
    for (let ms = 0; ms < 500; ms += 10) {
      budget.deposit(start + ms);
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toHaveLength(5);
    expect(sent.reduce((sum, report) => sum + (report.retryBudget?.deposits ?? 0), 0)).toBe(50);
  });

  it('makes no round trip of its own for calls that went with a retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { shared, sent } = recordingStore(() => Promise.resolve({ ...LEFT, retryGranted: true }));
    const budget = new SharedRetryBudget(new RetryBudget(OPTIONS), shared);
    budget.deposit(Date.now());
    await expect(budget.tryWithdraw(Date.now())).resolves.toBe(true);
    await vi.advanceTimersByTimeAsync(200);
    expect(sent).toEqual([{ sentAt: 0, retryBudget: { ...OPTIONS, deposits: 1, withdraw: true } }]);
  });

  it('counts calls where a timer is a number, as in browsers and Deno', async () => {
    const realSetTimeout = setTimeout;
    vi.stubGlobal('setTimeout', (run: () => void, ms: number) => Number(realSetTimeout(run, ms)));
    const { shared, sent } = recordingStore(() => Promise.resolve(LEFT));
    const budget = new SharedRetryBudget(new RetryBudget(OPTIONS), shared);
    expect(() => budget.deposit(Date.now())).not.toThrow();
    await new Promise((resolve) => realSetTimeout(resolve, 150));
    expect(sent).toEqual([
      { sentAt: 0, retryBudget: { ...OPTIONS, deposits: 1, withdraw: false } },
    ]);
  });
});
