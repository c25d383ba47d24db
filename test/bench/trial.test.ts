import { describe, expect, it } from 'vitest';
import { presetClient } from '../../bench/clients.js';
import { runTrial, type TrialPlan } from '../../bench/trial.js';
import { replies, schedules } from '../../src/testing/index.js';

/** A client with no resilience at all: each call is one request, whatever happens. */
const bare = presetClient('bare', () => ({
  chat: {
    execute: (fn, signal) =>
      Promise.resolve(fn({ signal: signal ?? new AbortController().signal })),
  },
}));

describe('runTrial (real HTTP against the fake server)', () => {
  const plan: TrialPlan = {
    script: () => schedules.failFirst(1, replies.serverError()),
    calls: 3,
    intervalMs: 20,
    kind: 'chat',
  };

  it('records each call and attributes each request to the call that sent it', async () => {
    const trial = await runTrial(bare, plan);
    expect(trial.client).toBe('bare');
    // Each call sent one request; the first the server saw got the 500, whichever call sent it.
    expect(trial.requests.map((r) => r.call).sort()).toEqual([0, 1, 2]);
    const failed = trial.calls.filter((c) => c.outcome === 'failed');
    expect(failed.map((c) => c.index)).toEqual([trial.requests[0]?.call]);
    expect(failed[0]?.error).toBe('InternalServerError 500');
    expect(trial.calls.filter((c) => c.outcome === 'ok')).toHaveLength(2);
    for (const call of trial.calls) {
      expect(call.settledMs).toBeGreaterThanOrEqual(call.offeredMs);
    }
    const [first, , last] = trial.calls;
    expect((last?.offeredMs ?? 0) - (first?.offeredMs ?? 0)).toBeGreaterThanOrEqual(39);
  });

  it('gives every trial a fresh server and a fresh script, so no state carries over', async () => {
    const first = await runTrial(bare, plan);
    const second = await runTrial(bare, plan);
    for (const trial of [first, second]) {
      expect(trial.calls.filter((c) => c.outcome === 'failed')).toHaveLength(1);
      expect(trial.requests).toHaveLength(3);
    }
  });

  it('offers the calls in the pattern of a load of its own, and refuses a load that offers too few', async () => {
    const order: number[] = [];
    const trial = await runTrial(bare, {
      script: () => replies.ok(),
      calls: 3,
      intervalMs: 0,
      kind: 'chat',
      async load(offer) {
        order.push((await offer(0)).index); // one at a time, then two at once
        const both = await Promise.all([offer(1), offer(2)]);
        order.push(...both.map((c) => c.index));
      },
    });
    expect(order).toEqual([0, 1, 2]);
    const [first, second, third] = trial.calls;
    expect(second?.offeredMs).toBeGreaterThanOrEqual(first?.settledMs ?? Number.NaN);
    expect(third?.offeredMs).toBeLessThan(second?.settledMs ?? Number.NaN);
    await expect(
      runTrial(bare, { ...plan, calls: 2, load: async (offer) => void (await offer(0)) }),
    ).rejects.toThrow(new TypeError('runTrial: the load offered 1 calls, not 2'));
  });
});
