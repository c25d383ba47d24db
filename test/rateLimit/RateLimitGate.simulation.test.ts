import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimitGate, type RateLimitOptions } from '../../src/rateLimit/index.js';
import { type SimulatedCall, simulatedServer } from './simulatedServer.js';

/**
 * The gate alone against a modelled token-bucket server (20 requests/s, burst 20, exact
 * retry-after-ms), in fake time: the S1 / S1s benchmark targets, measured before the bench runs
 * them over real HTTP. Each scenario runs over a fast link and a slow, jittery one (replies out of
 * order), with several seeds.
 */
const LINKS = [
  { name: 'fast link (1-5 ms each way)', minDelayMs: 1, maxDelayMs: 5 },
  { name: 'jittery link (5-150 ms each way)', minDelayMs: 5, maxDelayMs: 150 },
];
const SEEDS = [1, 2, 3, 4, 5];

async function settle(calls: Promise<SimulatedCall>[]): Promise<SimulatedCall[]> {
  let done: SimulatedCall[] | undefined;
  void Promise.all(calls).then((d) => {
    done = d;
  });
  while (done === undefined && Date.now() < 3_600_000) await vi.advanceTimersByTimeAsync(100);
  if (done === undefined) throw new Error('calls never finished');
  return done;
}

async function storm(options: RateLimitOptions, link: (typeof LINKS)[number], seed: number) {
  const gate = new RateLimitGate(options, () => {});
  const server = simulatedServer({ ratePerSec: 20, burst: 20, ...link, seed });
  const calls = await settle(Array.from({ length: 200 }, () => server.call(gate)));
  return {
    requestsPerCall: calls.reduce((sum, c) => sum + c.requests, 0) / calls.length,
    makespanMs: Math.max(...calls.map((c) => c.doneAt)),
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe.each(LINKS)('S1 rate-limit storm, 200 calls at once, $name', (link) => {
  it.each(SEEDS)(
    'cold: at most 2.0 requests per call, done within 11 s (seed %i)',
    async (seed) => {
      const result = await storm({}, link, seed);
      expect(result.requestsPerCall).toBeLessThanOrEqual(2.0);
      expect(result.makespanMs).toBeLessThanOrEqual(11_000);
      expect(vi.getTimerCount()).toBe(0);
    },
  );

  it.each(SEEDS)(
    'requestsPerMinute 1200: at most 1.05 requests per call, within 10.5 s (seed %i)',
    async (seed) => {
      const result = await storm({ requestsPerMinute: 1200 }, link, seed);
      expect(result.requestsPerCall).toBeLessThanOrEqual(1.05);
      expect(result.makespanMs).toBeLessThanOrEqual(10_500);
      expect(vi.getTimerCount()).toBe(0);
    },
  );
});

describe.each(LINKS)('S1s sustained overload, 30 calls/s for 20 s, $name', (link) => {
  it.each(SEEDS)(
    'at most 1.2 requests per call offered after the first 2 s (seed %i)',
    async (seed) => {
      const gate = new RateLimitGate({}, () => {});
      const server = simulatedServer({ ratePerSec: 20, burst: 20, ...link, seed });
      const calls: Promise<SimulatedCall>[] = [];
      for (let i = 0; i < 600; i++) {
        calls.push(server.call(gate));
        await vi.advanceTimersByTimeAsync(1000 / 30);
      }
      const late = (await settle(calls)).filter((c) => c.offeredAt >= 2000);
      const requestsPerCall = late.reduce((sum, c) => sum + c.requests, 0) / late.length;
      expect(requestsPerCall).toBeLessThanOrEqual(1.2);
      // the server's rate is the bottleneck: 20 a second after the first second's burst
      expect(server.arrivals.length).toBeGreaterThanOrEqual(600);
    },
  );
});
