import { describe, expect, it, vi } from 'vitest';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import type { PolicyEvent } from '../../src/events.js';
import { logEvents } from '../../src/logEvents.js';
import { createFallbackPolicy, defaultFallbackOn } from '../../src/pipeline/LlmFallbackPolicy.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';

const failing = (status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`status ${status}`), { status, ...extra });

describe('createFallbackPolicy', () => {
  it('refuses bad options with a TypeError naming the option and the value', () => {
    const call = () => 'x';
    expect(() => createFallbackPolicy({ routes: [] })).toThrow(
      'routes must be a non-empty array of routes, got an array',
    );
    expect(() => createFallbackPolicy({ routes: [{ name: 'a', call: 1 as never }] })).toThrow(
      'routes[0].call must be a function, got 1',
    );
    expect(() =>
      createFallbackPolicy({ routes: [{ name: 'a', call, policy: {} as never }] }),
    ).toThrow(/routes\[0\]\.policy must be a policy of this package/);
    expect(() => createFallbackPolicy({ routes: [{ name: 'a', call, maxWaitMs: -1 }] })).toThrow(
      'routes[0].maxWaitMs must be a number of milliseconds >= 0, or Infinity, got -1',
    );
    expect(() =>
      createFallbackPolicy({
        routes: [
          { name: 'a', call },
          { name: 'a', call },
        ],
      }),
    ).toThrow('routes[1].name must be distinct from the other routes, got "a"');
    expect(() =>
      createFallbackPolicy({ routes: [{ name: 'a', call }], timeout: { totalMs: 0 } }),
    ).toThrow(/timeout\.totalMs must be/);
    expect(() =>
      createFallbackPolicy({ routes: [{ name: 'a', call }], retries: 2 } as never),
    ).toThrow(
      /retries is not a fallback policy option \(known: name, routes, fallbackOn, timeout\)/,
    );
    const policy = createFallbackPolicy({ routes: [{ name: 'a', call }] });
    expect(() => policy.execute('x', { maxWaitMs: 5 } as never)).toThrow(
      /execute: maxWaitMs is not an execute option/,
    );
  });

  it('resolves with the value and route, reporting fallback, success and failure with the route', async () => {
    const policy = createFallbackPolicy<string, string>({
      name: 'ask',
      routes: [
        { name: 'first', call: () => Promise.reject(failing(500)) },
        { name: 'second', call: (input) => `${input}!` },
      ],
    });
    const events: unknown[] = [];
    policy.events.on('fallback', (e) => events.push(e));
    policy.events.on('success', (e) => events.push(e));
    await expect(policy.execute('hi')).resolves.toEqual({ value: 'hi!', route: 'second' });
    expect(events).toEqual([
      expect.objectContaining({ policy: 'ask', from: 'first', to: 'second' }),
      expect.objectContaining({ policy: 'ask', attempts: 2, route: 'second' }),
    ]);
    expect((events[0] as PolicyEvent<'fallback'>).reason.kind).toBe('server');
  });

  it('moves past a route whose breaker was isolated by hand, without calling it, until released', async () => {
    const first = createPolicy({
      name: 'first',
      circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 1_000 },
    });
    const calls: string[] = [];
    const answer = (route: string, value: string) => {
      calls.push(route);
      return value;
    };
    const policy = createFallbackPolicy<string, string>({
      routes: [
        { name: 'first', policy: first, call: () => answer('first', 'one') },
        { name: 'second', call: () => answer('second', 'two') },
      ],
    });
    const isolation = first.circuitBreaker?.isolate();
    await expect(policy.execute('hi')).resolves.toEqual({ value: 'two', route: 'second' });
    expect(calls).toEqual(['second']);
    isolation?.dispose();
    await expect(policy.execute('hi')).resolves.toEqual({ value: 'one', route: 'first' });
    expect(calls).toEqual(['second', 'first']);
  });

  it('rejects with the last route’s error when every route failed, reporting its route', async () => {
    const last = failing(429, { code: 'insufficient_quota' });
    const policy = createFallbackPolicy({
      routes: [
        { name: 'a', call: () => Promise.reject(failing(401)) },
        { name: 'b', call: () => Promise.reject(last) },
      ],
    });
    const failures: PolicyEvent<'failure'>[] = [];
    policy.events.on('failure', (e) => failures.push(e));
    await expect(policy.execute(null)).rejects.toBe(last);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ route: 'b', attempts: 2 });
    expect(failures[0]?.reason.kind).toBe('quota');
  });

  it('bounds the whole chain with timeout.totalMs', async () => {
    const policy = createFallbackPolicy({
      routes: [
        {
          name: 'a',
          call: (_input, { signal }) =>
            new Promise((_, reject) => {
              signal.addEventListener('abort', () => reject(signal.reason));
            }),
        },
      ],
      timeout: { totalMs: 30 },
    });
    const error = await policy.execute({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).scope).toBe('total');
  });

  it('moves on by default for retryable kinds, quota, auth, permission, not_found, context_length', () => {
    const reason = (kind: string, retryable = false) =>
      ({ kind, retryable, breakerFailure: false, message: '' }) as never;
    for (const kind of ['quota', 'auth', 'permission', 'not_found', 'context_length', 'aborted']) {
      expect(defaultFallbackOn(reason(kind))).toBe(true);
    }
    expect(defaultFallbackOn(reason('server', true))).toBe(true);
    for (const kind of ['bad_request', 'content_filter', 'unprocessable', 'conflict', 'unknown']) {
      expect(defaultFallbackOn(reason(kind))).toBe(false);
    }
  });

  it('gives a route whose next wait is longer than its maxWaitMs up at once', async () => {
    const route = createPolicy({
      retry: { maxRetries: 3, initialDelayMs: 5_000, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 },
    });
    const giveUps: PolicyEvent<'giveUp'>[] = [];
    route.events.on('giveUp', (e) => giveUps.push(e));
    const policy = createFallbackPolicy({
      routes: [
        { name: 'a', policy: route, maxWaitMs: 100, call: () => Promise.reject(failing(503)) },
        { name: 'b', call: () => 'ok' },
      ],
    });
    await expect(policy.execute(null)).resolves.toEqual({ value: 'ok', route: 'b' });
    expect(giveUps.map((e) => e.why)).toEqual(['wait_too_long']);
  });

  it('spills over at once, without a request, when the route’s gate would hold the call too long', async () => {
    vi.useFakeTimers();
    try {
      const spilled = async (maxWaitMs: number | undefined) => {
        const route = createPolicy({
          retry: { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 60_000 },
          rateLimit: { requestsPerMinute: 60 }, // one a second
        });
        const giveUps: PolicyEvent<'giveUp'>[] = [];
        route.events.on('giveUp', (e) => giveUps.push(e));
        const calls: string[] = [];
        const policy = createFallbackPolicy<string, string>({
          routes: [
            {
              name: 'a',
              policy: route,
              ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
              call: () => {
                calls.push('a');
                return 'one';
              },
            },
            { name: 'b', call: () => 'two' },
          ],
        });
        const fallbacks: PolicyEvent<'fallback'>[] = [];
        policy.events.on('fallback', (e) => fallbacks.push(e));
        await expect(policy.execute('hi')).resolves.toEqual({ value: 'one', route: 'a' });
        const start = Date.now();
        const second = policy.execute('hi');
        await vi.advanceTimersByTimeAsync(2_000);
        return { answer: await second, calls, giveUps, fallbacks, start };
      };
      // The default (0): the budget's 1 s wait moves on at once, and route a is not called.
      const quick = await spilled(undefined);
      expect(quick.answer).toEqual({ value: 'two', route: 'b' });
      expect(quick.calls).toEqual(['a']);
      expect(quick.giveUps.map((e) => e.why)).toEqual(['wait_too_long']);
      expect(quick.fallbacks.map((e) => e.reason.kind)).toEqual(['rate_limit']);
      expect(quick.fallbacks[0]?.reason.message).toMatch(/RateLimitHoldError.*1000 ms/);
      // 999 ms accepted: still too short.
      expect((await spilled(999)).answer.route).toBe('b');
      // 1000 ms accepted: the call waits for the budget and route a answers it.
      const patient = await spilled(1_000);
      expect(patient.answer).toEqual({ value: 'one', route: 'a' });
      expect(patient.calls).toEqual(['a', 'a']);
      expect(patient.fallbacks).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('logs a fallback at warn', async () => {
    const lines: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (line: string) => lines.push(line),
      error: () => {},
    };
    const policy = createFallbackPolicy({
      name: 'ask',
      routes: [
        { name: 'a', call: () => Promise.reject(failing(500)) },
        { name: 'b', call: () => 'ok' },
      ],
    });
    logEvents(policy, logger as never, { format: 'line' });
    await policy.execute(null);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^llm-resilience ask: fallback .*from=a to=b kind=server/);
  });
});
