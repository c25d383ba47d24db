import { describe, expect, it } from 'vitest';
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
    expect(other.sent).toEqual([{ sentAt: 2 }]);
    expect(sent).toEqual([
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
});
