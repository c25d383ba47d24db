import { BrokenCircuitError } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import type { PolicyEvent } from '../../src/events.js';
import { logEvents } from '../../src/logEvents.js';
import type { ExecuteOptions } from '../../src/pipeline/executeArgs.js';
import {
  createFallbackPolicy,
  defaultFallbackOn,
  type FallbackRoutePolicy,
} from '../../src/pipeline/LlmFallbackPolicy.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { recordEvents } from '../support/pipeline.js';

const failing = (status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`status ${status}`), { status, ...extra });

/** A route policy of one's own, with a closed breaker: runs each call once and keeps its options. */
function keepingOptions(): { policy: FallbackRoutePolicy; given: ExecuteOptions[] } {
  const given: ExecuteOptions[] = [];
  const policy: FallbackRoutePolicy = {
    circuitState: 'closed',
    circuitHalfOpenAt: 0,
    execute: async (fn, options) => {
      given.push(options);
      return fn({ signal: options.signal ?? new AbortController().signal, attempt: 1 });
    },
  };
  return { policy, given };
}

/** A policy whose breaker one failure opens for `halfOpenAfterMs`. */
const breaking = (name: string, halfOpenAfterMs: number) =>
  createPolicy({ name, circuitBreaker: { consecutiveFailures: 1, halfOpenAfterMs } });

describe('createFallbackPolicy', () => {
  it('refuses bad options with a TypeError naming the option and the value', () => {
    const call = () => 'x';
    expect(() => createFallbackPolicy({ routes: [] })).toThrow(
      'routes must be a non-empty array of routes, got an array',
    );
    expect(() => createFallbackPolicy({ routes: [{ name: 'a', call: 1 as never }] })).toThrow(
      'routes[0].call must be a function, got 1',
    );
    const execute = () => Promise.resolve();
    for (const policy of [
      {},
      null,
      { circuitState: 'closed', circuitHalfOpenAt: 0 },
      { execute, circuitHalfOpenAt: 0 },
      { execute, circuitState: 'closed' },
    ]) {
      expect(() =>
        createFallbackPolicy({ routes: [{ name: 'a', call, policy: policy as never }] }),
      ).toThrow(/^routes\[0\]\.policy must be a policy of this package/);
    }
    expect(() =>
      createFallbackPolicy({ routes: [{ name: 'a', call, retries: 1 } as never] }),
    ).toThrow('routes[0].retries is not a route option (known: name, call, policy, maxWaitMs)');
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
      createFallbackPolicy({ routes: [{ name: 'a', call }], timeout: { total: 5 } as never }),
    ).toThrow('timeout.total is not a fallback timeout option (known: totalMs), got 5');
    expect(() => createFallbackPolicy(null as never)).toThrow(
      'options must be an object, got null',
    );
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

  it('is named fallback when not given a name', async () => {
    const policy = createFallbackPolicy({ routes: [{ name: 'a', call: () => 'ok' }] });
    const successes: PolicyEvent<'success'>[] = [];
    policy.events.on('success', (e) => successes.push(e));
    await policy.execute(null);
    expect(policy.name).toBe('fallback');
    expect(successes.map((e) => e.policy)).toEqual(['fallback']);
  });

  it('rejects with a route’s error that fallbackOn does not move on from, without trying the next', async () => {
    const badRequest = failing(400);
    const calls: string[] = [];
    const routes = [
      {
        name: 'a',
        call: () => {
          calls.push('a');
          return Promise.reject(badRequest);
        },
      },
      {
        name: 'b',
        call: () => {
          calls.push('b');
          return 'ok';
        },
      },
    ];
    await expect(createFallbackPolicy({ routes }).execute(null)).rejects.toBe(badRequest);
    expect(calls).toEqual(['a']);
    const asked: [string, string][] = [];
    const moving = createFallbackPolicy({
      routes,
      fallbackOn: (reason, route) => {
        asked.push([reason.kind, route]);
        return true;
      },
    });
    await expect(moving.execute(null)).resolves.toEqual({ value: 'ok', route: 'b' });
    expect(calls).toEqual(['a', 'a', 'b']);
    expect(asked).toEqual([['bad_request', 'a']]);
  });

  it('moves past a route whose open breaker rests, without a call through its policy, and tries it once its trial is due', async () => {
    vi.useFakeTimers();
    try {
      const first = breaking('first', 1_000);
      let down = true;
      const policy = createFallbackPolicy<string, string>({
        routes: [
          {
            name: 'first',
            policy: first,
            call: () => (down ? Promise.reject(failing(500)) : 'one'),
          },
          { name: 'second', call: () => 'two' },
        ],
      });
      const fallbacks: PolicyEvent<'fallback'>[] = [];
      policy.events.on('fallback', (e) => fallbacks.push(e));
      await expect(policy.execute('hi')).resolves.toEqual({ value: 'two', route: 'second' });
      expect(first.circuitState).toBe('open');
      down = false;
      const firstEvents = recordEvents(first);
      await expect(policy.execute('hi')).resolves.toEqual({ value: 'two', route: 'second' });
      await vi.advanceTimersByTimeAsync(999);
      await expect(policy.execute('hi')).resolves.toEqual({ value: 'two', route: 'second' });
      expect(firstEvents).toEqual([]);
      expect(fallbacks.map((e) => e.reason.kind)).toEqual(['server', 'aborted', 'aborted']);
      expect(fallbacks[1]?.reason.message).toMatch(/BrokenCircuitError/);
      await vi.advanceTimersByTimeAsync(1);
      expect(first.circuitHalfOpenAt).toBe(Date.now());
      await expect(policy.execute('hi')).resolves.toEqual({ value: 'one', route: 'first' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('asks fallbackOn about a route skipped while its breaker rests, and rejects when it says no', async () => {
    vi.useFakeTimers();
    try {
      const first = breaking('first', 1_000);
      const asked: [string, string][] = [];
      let moveOnFromAborted = true;
      const policy = createFallbackPolicy<string, string>({
        routes: [
          { name: 'first', policy: first, call: () => Promise.reject(failing(500)) },
          { name: 'second', call: () => 'two' },
        ],
        fallbackOn: (reason, route) => {
          asked.push([reason.kind, route]);
          return reason.kind !== 'aborted' || moveOnFromAborted;
        },
      });
      await expect(policy.execute('hi')).resolves.toEqual({ value: 'two', route: 'second' });
      expect(first.circuitState).toBe('open');
      await expect(policy.execute('hi')).resolves.toEqual({ value: 'two', route: 'second' });
      moveOnFromAborted = false;
      await expect(policy.execute('hi')).rejects.toThrow(BrokenCircuitError);
      expect(asked).toEqual([
        ['server', 'first'],
        ['aborted', 'first'],
        ['aborted', 'first'],
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('tries a route again as soon as its breaker closes, before its rest would have ended', async () => {
    const first = breaking('first', 60_000);
    let down = true;
    const policy = createFallbackPolicy<string, string>({
      routes: [
        { name: 'first', policy: first, call: () => (down ? Promise.reject(failing(500)) : 'one') },
        { name: 'second', call: () => 'two' },
      ],
    });
    await expect(policy.execute('hi')).resolves.toEqual({ value: 'two', route: 'second' });
    down = false;
    first.circuitBreaker?.isolate().dispose();
    expect(first.circuitState).toBe('closed');
    expect(first.circuitHalfOpenAt).toBeGreaterThan(Date.now());
    await expect(policy.execute('hi')).resolves.toEqual({ value: 'one', route: 'first' });
  });

  it('tries the last route through its policy even while its breaker rests: it waits for the trial as its policy says', async () => {
    vi.useFakeTimers();
    try {
      const last = createPolicy({
        name: 'last',
        retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 60_000 },
        circuitBreaker: { consecutiveFailures: 1, halfOpenAfterMs: 1_000 },
      });
      const opening = last.execute(() => Promise.reject(failing(500))).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(await opening).toMatchObject({ status: 500 });
      expect(last.circuitState).toBe('open');
      const retries: PolicyEvent<'retry'>[] = [];
      last.events.on('retry', (e) => retries.push(e));
      const policy = createFallbackPolicy({
        routes: [
          { name: 'a', call: () => Promise.reject(failing(500)) },
          { name: 'b', policy: last, call: () => 'ok' },
        ],
      });
      const answer = policy.execute(null);
      await vi.advanceTimersByTimeAsync(1_000);
      await expect(answer).resolves.toEqual({ value: 'ok', route: 'b' });
      expect(retries.map((e) => [e.reason.kind, e.delayMs])).toEqual([['aborted', 1_000]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives each route’s policy the call’s signal, the caller’s tokens, and maxWaitMs 0 but to the last route', async () => {
    const a = keepingOptions();
    const b = keepingOptions();
    const c = keepingOptions();
    const policy = createFallbackPolicy({
      routes: [
        { name: 'a', policy: a.policy, call: () => Promise.reject(failing(500)) },
        { name: 'b', policy: b.policy, maxWaitMs: 250, call: () => Promise.reject(failing(500)) },
        { name: 'c', policy: c.policy, call: () => 'ok' },
      ],
    });
    await expect(policy.execute(null, { tokens: 42 })).resolves.toEqual({
      value: 'ok',
      route: 'c',
    });
    await policy.execute(null);
    const signal = expect.any(AbortSignal);
    expect([a, b, c].map((route) => route.given)).toStrictEqual([
      [
        { signal, tokens: 42, maxWaitMs: 0 },
        { signal, maxWaitMs: 0 },
      ],
      [
        { signal, tokens: 42, maxWaitMs: 250 },
        { signal, maxWaitMs: 250 },
      ],
      [{ signal, tokens: 42 }, { signal }],
    ]);
  });

  it('leaves the signal of a call that answered alone once timeout.totalMs has passed', async () => {
    vi.useFakeTimers();
    try {
      const signals: AbortSignal[] = [];
      const policy = createFallbackPolicy({
        routes: [
          {
            name: 'a',
            call: (_input, { signal }) => {
              signals.push(signal);
              return 'ok';
            },
          },
        ],
        timeout: { totalMs: 100 },
      });
      await expect(policy.execute(null)).resolves.toEqual({ value: 'ok', route: 'a' });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(signals).toHaveLength(1);
      expect(signals[0]?.aborted).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
