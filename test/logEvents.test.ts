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
    expect(logger.debug).toHaveBeenCalledTimes(1);
    unsubscribe();
    await policy.execute(() => 'ok');
    expect(logger.debug).toHaveBeenCalledTimes(1);
    for (const name of Object.keys(EVENT_LOG_LEVELS)) {
      expect(policy.events.listenerCount(name as PolicyEventName)).toBe(0);
    }
  });

  it('works with console', () => {
    const policy = createPolicy({ name: 'c' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const unsubscribe = logEvents(policy, console);
    policy.events.emit('halfOpen', { policy: 'c' });
    expect(warn).toHaveBeenCalledWith(
      { event: 'halfOpen', policy: 'c' },
      'llm-resilience c: halfOpen',
    );
    unsubscribe();
    warn.mockRestore();
  });
});
