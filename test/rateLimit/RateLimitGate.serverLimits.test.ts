import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimitGate, type RateLimitOptions } from '../../src/rateLimit/index.js';

/** Tracks when an acquire settles, in fake time. */
function track(promise: Promise<void>) {
  const state: { at?: number } = {};
  promise.then(() => {
    state.at = Date.now();
  });
  return state;
}

function gateWith(options: RateLimitOptions = {}) {
  return new RateLimitGate(options);
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RateLimitGate: the limits a reply reports (policy.fetch)', () => {
  it('holds the next request until the tokens it may need have refilled, then lets it go', async () => {
    const gate = gateWith();
    await gate.acquire(undefined);
    const sent = gate.requestSent({ input: 100, output: 900 });
    // 9,500 tokens spent of 10,000, whole again in 950 ms: 10 tokens a ms.
    gate.onReply(sent, {
      ok: true,
      limits: { tokens: { limit: 10_000, remaining: 500, resetMs: 950 } },
    });
    const start = Date.now();
    const next = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(49);
    expect(next.at).toBe(undefined);
    await vi.advanceTimersByTimeAsync(1);
    // The largest recent estimate (1,000 tokens) fits after (1000 - 500) / 10 = 50 ms.
    expect(next.at).toBe(start + 50);
  });

  it('holds on remaining requests at 0 until one has refilled, and releases waiters one at a time', async () => {
    const gate = gateWith();
    await gate.acquire(undefined);
    const sent = gate.requestSent(undefined);
    gate.onReply(sent, {
      ok: true,
      limits: { requests: { limit: 10, remaining: 0, resetMs: 1000 } },
    });
    const start = Date.now();
    const waiters = [0, 1, 2].map(() => track(gate.acquire(undefined)));
    await vi.advanceTimersByTimeAsync(1000);
    expect(waiters.map((w) => (w.at === undefined ? undefined : w.at - start))).toEqual(
      [100, 200, 300].map((at) => (at <= 1000 ? at : undefined)),
    );
  });

  it('counts the requests let through after the one a reply is about', async () => {
    const gate = gateWith();
    await gate.acquire(undefined);
    const first = gate.requestSent(undefined);
    await gate.acquire(undefined);
    gate.requestSent(undefined);
    // After the first request the server had one request left; the second has spent it.
    gate.onReply(first, {
      ok: true,
      limits: { requests: { limit: 2, remaining: 1, resetMs: 1000 } },
    });
    const next = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(0);
    expect(next.at).toBe(undefined);
    // One request a second refills: (2 - 1) per 1,000 ms.
    await vi.advanceTimersByTimeAsync(999);
    expect(next.at).toBe(undefined);
    await vi.advanceTimersByTimeAsync(1);
    expect(next.at).toBe(1_000_000 + 1000);
  });

  it('ignores a reply older than the last one accounted for (replies out of order)', async () => {
    const gate = gateWith();
    await gate.acquire(undefined);
    const first = gate.requestSent(undefined);
    await gate.acquire(undefined);
    const second = gate.requestSent(undefined);
    gate.onReply(second, {
      ok: true,
      limits: { requests: { limit: 100, remaining: 90, resetMs: 1000 } },
    });
    gate.onReply(first, { ok: true, limits: { requests: { limit: 100, remaining: 0 } } });
    const next = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(0);
    expect(next.at).toBe(Date.now());
  });

  it('takes back the charge of a request that got no reply', async () => {
    const gate = gateWith();
    await gate.acquire(undefined);
    const first = gate.requestSent(undefined);
    await gate.acquire(undefined);
    const second = gate.requestSent(undefined);
    gate.onReply(first, {
      ok: true,
      limits: { requests: { limit: 2, remaining: 1, resetMs: 1000 } },
    });
    gate.onReply(second, undefined);
    const next = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(0);
    expect(next.at).toBe(Date.now());
  });

  it('holds a declared call for its own cost, not the typical one', async () => {
    const gate = gateWith();
    await gate.acquire(undefined);
    const sent = gate.requestSent({ input: 10, output: 10 });
    gate.onReply(sent, {
      ok: true,
      limits: { tokens: { limit: 1_000, remaining: 100, resetMs: 900 } },
    });
    const small = track(gate.acquire(undefined, 50));
    await vi.advanceTimersByTimeAsync(0);
    expect(small.at).toBe(Date.now());
    const large = track(gate.acquire(undefined, 300));
    await vi.advanceTimersByTimeAsync(249);
    expect(large.at).toBe(undefined);
    // 50 left after the small call; 250 more at 1 token a ms.
    await vi.advanceTimersByTimeAsync(1);
    expect(large.at).toBe(Date.now());
  });

  it('never holds longer than maxWaitMs, whatever a reset says', async () => {
    const gate = gateWith({ maxWaitMs: 1000 });
    await gate.acquire(undefined);
    const sent = gate.requestSent(undefined);
    gate.onReply(sent, { ok: true, limits: { requests: { remaining: 0, resetMs: 80_000_000 } } });
    const next = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(1000);
    expect(next.at).toBe(1_000_000 + 1000);
  });
});

describe('RateLimitGate: the server budget, edge cases', () => {
  it("holds on Anthropic's input-token limit for the prompt's tokens alone", async () => {
    const gate = gateWith();
    await gate.acquire(undefined);
    const sent = gate.requestSent({ input: 400, output: 10 });
    gate.onReply(sent, {
      ok: true,
      limits: {
        inputTokens: { limit: 1_000, remaining: 100, resetMs: 900 },
        outputTokens: { limit: 1_000, remaining: 990, resetMs: 10 },
      },
    });
    const next = track(gate.acquire(undefined));
    // 300 more input tokens at 1 a ms; the output limit has room.
    await vi.advanceTimersByTimeAsync(299);
    expect(next.at).toBe(undefined);
    await vi.advanceTimersByTimeAsync(1);
    expect(next.at).toBe(1_000_000 + 300);
  });

  it('holds until the reset when the headers give no limit to derive a rate from', async () => {
    const gate = gateWith();
    await gate.acquire(undefined);
    const sent = gate.requestSent(undefined);
    gate.onReply(sent, { ok: true, limits: { requests: { remaining: 0, resetMs: 300 } } });
    const next = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(299);
    expect(next.at).toBe(undefined);
    await vi.advanceTimersByTimeAsync(1);
    expect(next.at).toBe(1_000_000 + 300);
  });

  it('takes a request let through but never sent within 2 s as never sent', async () => {
    const gate = gateWith();
    await gate.acquire(undefined);
    const sent = gate.requestSent(undefined);
    // One request left of 10, a request a second.
    gate.onReply(sent, {
      ok: true,
      limits: { requests: { limit: 10, remaining: 1, resetMs: 9_000 } },
    });
    await gate.acquire(undefined); // let through, but its fetch never comes
    await vi.advanceTimersByTimeAsync(2_001);
    gate.requestSent(undefined); // a request sent outside the gate
    // Two requests refilled, the unsent one given back, the one outside charged: 2 left.
    const first = track(gate.acquire(undefined));
    const second = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(0);
    expect([first.at, second.at]).toEqual([Date.now(), Date.now()]);
  });

  it('stops waiting for replies to requests over a minute old', async () => {
    const gate = gateWith();
    await gate.acquire(undefined);
    const first = gate.requestSent(undefined);
    await vi.advanceTimersByTimeAsync(61_000);
    await gate.acquire(undefined);
    const second = gate.requestSent(undefined);
    // The first request is forgotten: its reply is no longer matched.
    gate.onReply(first, {
      ok: true,
      limits: { requests: { limit: 10, remaining: 0, resetMs: 60_000 } },
    });
    const next = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(0);
    expect(next.at).toBe(Date.now());
    gate.onReply(second, {
      ok: true,
      limits: { requests: { limit: 10, remaining: 0, resetMs: 60_000 } },
    });
    const held = track(gate.acquire(undefined));
    await vi.advanceTimersByTimeAsync(0);
    expect(held.at).toBe(undefined);
  });
});

describe('RateLimitGate: usage corrects tokensPerMinute', () => {
  it("gives back what a call's usage says it did not use of its declared cost", async () => {
    const gate = gateWith({ tokensPerMinute: 6_000 }); // 100 a second, a second's worth held
    await gate.acquire(undefined, 100);
    gate.onUsage(10, 100);
    const next = track(gate.acquire(undefined, 90));
    await vi.advanceTimersByTimeAsync(0);
    expect(next.at).toBe(1_000_000);
  });

  it('charges what a call used beyond its declared cost', async () => {
    const gate = gateWith({ tokensPerMinute: 6_000 });
    await gate.acquire(undefined, 10);
    gate.onUsage(110, 10); // 100 more: the bucket is 10 in debt
    const next = track(gate.acquire(undefined, 50));
    await vi.advanceTimersByTimeAsync(599);
    expect(next.at).toBe(undefined);
    await vi.advanceTimersByTimeAsync(1);
    expect(next.at).toBe(1_000_000 + 600);
  });

  it("charges policy.fetch's estimate for a call declaring none, then corrects it by the usage", async () => {
    const gate = gateWith({ tokensPerMinute: 6_000 });
    await gate.acquire(undefined);
    const sent = gate.requestSent({ input: 20, output: 80 });
    gate.onReply(sent, { ok: true, limits: undefined });
    const held = track(gate.acquire(undefined, 50));
    await vi.advanceTimersByTimeAsync(0);
    expect(held.at).toBe(undefined);
    gate.onUsage(30, undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(held.at).toBe(1_000_000);
  });

  it('gives the estimate back when the request failed', async () => {
    const gate = gateWith({ tokensPerMinute: 6_000 });
    await gate.acquire(undefined);
    const sent = gate.requestSent({ input: 20, output: 80 });
    gate.onReply(sent, { ok: false, limits: undefined });
    const next = track(gate.acquire(undefined, 100));
    await vi.advanceTimersByTimeAsync(0);
    expect(next.at).toBe(1_000_000);
  });
});
