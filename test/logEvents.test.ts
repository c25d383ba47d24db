import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { PolicyEventName } from '../src/events.js';
import { EVENT_LOG_LEVELS, logEvents } from '../src/logEvents.js';
import { createPolicy } from '../src/pipeline/LlmPolicy.js';

function fakeLogger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

describe('logEvents', () => {
  it('logs each event at Polly’s severity with its payload and name', () => {
    const policy = createPolicy({ name: 'chat' });
    const logger = fakeLogger();
    logEvents(policy, logger);
    const reason = { kind: 'server' as const, retryable: true, breakerFailure: true, message: 'x' };
    policy.events.emit('retry', { policy: 'chat', attempt: 1, delayMs: 900, reason });
    policy.events.emit('break', { policy: 'chat', reason, openMs: 1_000 });
    policy.events.emit('reset', { policy: 'chat' });
    policy.events.emit('success', { policy: 'chat', attempts: 1, durationMs: 5 });
    expect(logger.warn).toHaveBeenCalledWith(
      { event: 'retry', policy: 'chat', attempt: 1, delayMs: 900, reason },
      'llm-resilience chat: retry',
    );
    expect(logger.error).toHaveBeenCalledWith(
      { event: 'break', policy: 'chat', reason, openMs: 1_000 },
      'llm-resilience chat: break',
    );
    expect(logger.info).toHaveBeenCalledWith(
      { event: 'reset', policy: 'chat' },
      'llm-resilience chat: reset',
    );
    expect(logger.debug).toHaveBeenCalledWith(
      { event: 'success', policy: 'chat', attempts: 1, durationMs: 5 },
      'llm-resilience chat: success',
    );
  });

  it('uses Polly’s levels: warn for retry, halfOpen, timeout; error for break, giveUp, bulkheadReject, failure', () => {
    const expected: Partial<Record<PolicyEventName, string>> = {
      retry: 'warn',
      halfOpen: 'warn',
      timeout: 'warn',
      break: 'error',
      giveUp: 'error',
      bulkheadReject: 'error',
      failure: 'error',
    };
    for (const [name, level] of Object.entries(expected)) {
      expect(EVENT_LOG_LEVELS[name as PolicyEventName]).toBe(level);
    }
    expect(['info', 'debug']).toContain(EVENT_LOG_LEVELS.reset);
    expect(['info', 'debug']).toContain(EVENT_LOG_LEVELS.success);
  });

  it('logs a real call’s events and stops when unsubscribed', async () => {
    const policy = createPolicy({
      name: 'p',
      retry: { maxRetries: 1, initialDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 },
    });
    const logger = fakeLogger();
    const unsubscribe = logEvents(policy, logger);
    await policy.execute(() => 'ok');
    // The attempt, then the call's success.
    expect(logger.debug.mock.calls.map(([, msg]) => msg)).toEqual([
      'llm-resilience p: attempt',
      'llm-resilience p: success',
    ]);
    unsubscribe();
    await policy.execute(() => 'ok');
    expect(logger.debug).toHaveBeenCalledTimes(2);
    for (const name of Object.keys(EVENT_LOG_LEVELS)) {
      expect(policy.events.listenerCount(name as PolicyEventName)).toBe(0);
    }
  });

  it('gives the console one readable line per event: the message, then the key fields', () => {
    const policy = createPolicy({ name: 'c' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const unsubscribe = logEvents(policy, console);
    policy.events.emit('halfOpen', { policy: 'c' });
    const reason = {
      kind: 'rate_limit' as const,
      retryable: true,
      breakerFailure: false,
      status: 429,
      code: 'rate_limit_exceeded',
      retryAfterMs: 300,
      requestId: 'req_1',
      message: 'Rate limit reached',
    };
    policy.events.emit('retry', { policy: 'c', attempt: 1, delayMs: 300, reason });
    policy.events.emit('bulkheadReject', { policy: 'c', executing: 2, queued: 0 });
    expect(warn.mock.calls).toEqual([
      ['llm-resilience c: halfOpen'],
      [
        'llm-resilience c: retry attempt=1 delayMs=300 kind=rate_limit status=429 code=rate_limit_exceeded retryAfterMs=300 requestId=req_1 - Rate limit reached',
      ],
    ]);
    expect(error.mock.calls).toEqual([['llm-resilience c: bulkheadReject executing=2 queued=0']]);
    unsubscribe();
    warn.mockRestore();
    error.mockRestore();
  });

  it('gives an instance of the Console class lines too, and quotes a value with spaces', () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const own = new Console({ stdout: stream, stderr: stream });
    const policy = createPolicy({ name: 'chat:gpt 4o' });
    logEvents(policy, own);
    policy.events.emit('giveUp', {
      policy: 'chat:gpt 4o',
      attempts: 2,
      why: 'max_retries',
      reason: {
        kind: 'server',
        retryable: true,
        breakerFailure: true,
        code: 'a b',
        message: '',
      },
    });
    expect(lines).toEqual([
      'llm-resilience chat:gpt 4o: giveUp attempts=2 why=max_retries kind=server code="a b"\n',
    ]);
  });

  it("keeps (obj, msg) for the console when told format 'object', and lines for any logger with 'line'", () => {
    const policy = createPolicy({ name: 'c' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const stop = logEvents(policy, console, { format: 'object' });
    const logger = fakeLogger();
    logEvents(policy, logger, { format: 'line' });
    policy.events.emit('timeout', { policy: 'c', scope: 'attempt', timeoutMs: 5, attempt: 1 });
    expect(warn).toHaveBeenCalledWith(
      { event: 'timeout', policy: 'c', scope: 'attempt', timeoutMs: 5, attempt: 1 },
      'llm-resilience c: timeout',
    );
    expect(logger.warn).toHaveBeenCalledWith(
      'llm-resilience c: timeout scope=attempt timeoutMs=5 attempt=1',
    );
    stop();
    warn.mockRestore();
  });

  it('throws a TypeError for a logger without a level method or a bad format', () => {
    const policy = createPolicy({ name: 'c' });
    const { warn: _warn, ...noWarn } = fakeLogger();
    expect(() => logEvents(policy, noWarn as never)).toThrow(
      new TypeError('logger.warn must be a function, got undefined'),
    );
    expect(() => logEvents(policy, undefined as never)).toThrow(
      new TypeError('logger.debug must be a function, got undefined'),
    );
    expect(() => logEvents(policy, fakeLogger(), { format: 'json' as never })).toThrow(
      new TypeError(`format must be 'line' or 'object', got "json"`),
    );
    expect(policy.events.listenerCount('retry')).toBe(0);
  });
});
