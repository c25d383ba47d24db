import { APIError, APIUserAbortError } from 'openai';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import type { PolicyEventName, PolicyEvents } from '../../src/events.js';
import { EVENT_LOG_LEVELS } from '../../src/logEvents.js';
import type { LlmPolicy } from '../../src/pipeline/LlmPolicy.js';

/**
 * The event names the pipeline tests follow: every one but the per-attempt measures (`attempt`,
 * `gateWait`), whose figures test/otel checks.
 */
const NAMES = (Object.keys(EVENT_LOG_LEVELS) as PolicyEventName[]).filter(
  (name) => name !== 'attempt' && name !== 'gateWait',
);

/** Records every event a policy emits but `attempt` and `gateWait`, in order, as `[name, payload]`. */
export function recordEvents(policy: { events: PolicyEvents }): [PolicyEventName, unknown][] {
  const seen: [PolicyEventName, unknown][] = [];
  for (const name of NAMES) policy.events.on(name, (event: unknown) => seen.push([name, event]));
  return seen;
}

/** An openai SDK error as the SDK throws it for an HTTP reply of `status`. */
export function httpError(
  status: number,
  options: { code?: string; retryAfterMs?: number; message?: string } = {},
): APIError {
  const headers = new Headers();
  if (options.retryAfterMs !== undefined)
    headers.set('retry-after-ms', String(options.retryAfterMs));
  return APIError.generate(
    status,
    { error: { message: options.message ?? `status ${status}`, code: options.code ?? null } },
    undefined,
    headers,
  );
}

/** A function standing in for the SDK: waits for `signal` and rejects as the SDK does. */
export function hangUntilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(new APIUserAbortError()), { once: true });
  });
}

/** `promise`'s outcome, caught at once so that no rejection goes unhandled. */
export function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/**
 * Fake timers and `Math.random()` fixed at 0.5 (the median jitter) for every test of the file;
 * after each test, no timer may be left behind.
 */
export function useFakeClock(): void {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
  });
  afterEach(() => {
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
}

/**
 * Takes `policy` through what makes a rate-limit gate learn a pace, under fake timers: 20 calls
 * 50 ms apart, two 429s at once (a wave: a lone 429 sets no pace), then 5 calls to their end.
 */
export async function learnPaceThrough(policy: LlmPolicy): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await policy.execute(() => 'ok');
    await vi.advanceTimersByTimeAsync(50);
  }
  const limited = () => policy.execute(() => Promise.reject(httpError(429, { retryAfterMs: 100 })));
  await Promise.all([outcome(limited()), outcome(limited())]);
  const calls = Array.from({ length: 5 }, () => policy.execute(() => 'ok'));
  await vi.runAllTimersAsync();
  await Promise.all(calls);
}
