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
});
