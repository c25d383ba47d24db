import { BulkheadRejectedError } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import { TimeoutError } from '../../src/errors/index.js';
import * as root from '../../src/index.js';
import { createPolicy, LlmPolicy } from '../../src/pipeline/LlmPolicy.js';
import { CHAT_POLICY_DEFAULTS, chatPolicy, createChatPolicy } from '../../src/policies/chat.js';
import { createEmbeddingsPolicy } from '../../src/policies/embeddings.js';
import * as policiesEntry from '../../src/policies/index.js';
import { createStreamPolicy } from '../../src/policies/stream.js';
import {
  hangUntilAborted,
  httpError,
  outcome,
  recordEvents,
  useFakeClock,
} from '../support/pipeline.js';

useFakeClock();

describe('chat preset', () => {
  it('is one shared instance, exported from the root and from policies/', () => {
    expect(chatPolicy).toBeInstanceOf(LlmPolicy);
    expect(chatPolicy.name).toBe('chat');
    expect(root.chatPolicy).toBe(chatPolicy);
    expect(policiesEntry.chatPolicy).toBe(chatPolicy);
    expect(root.createChatPolicy).toBe(createChatPolicy);
    expect(Object.isFrozen(CHAT_POLICY_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(CHAT_POLICY_DEFAULTS.retry)).toBe(true);
  });

  it('has the documented defaults', () => {
    expect(CHAT_POLICY_DEFAULTS).toEqual({
      name: 'chat',
      retry: { maxRetries: 4, initialDelayMs: 1_000, maxDelayMs: 60_000, maxRetryAfterMs: 60_000 },
      retryBudget: { percent: 20, minPerSec: 10, windowMs: 10_000 },
      timeout: { attemptMs: 180_000, totalMs: 600_000 },
      circuitBreaker: {
        consecutiveFailures: 5,
        halfOpenAfterMs: 1_000,
        maxHalfOpenAfterMs: 60_000,
      },
      bulkhead: { maxConcurrent: 100, maxQueued: 1_000 },
      rateLimit: {},
    });
  });

  it('runs them: 4 retries, a 3-minute attempt timeout', async () => {
    const policy = createChatPolicy();
    const fn = vi.fn(({ signal }: { signal: AbortSignal }) => hangUntilAborted(signal));
    const call = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(180_000 - 1);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await vi.runAllTimersAsync();
    const { error } = await call;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(fn).toHaveBeenCalledTimes(4); // 3 min each: the fourth is cut by the 10-minute total
    expect(error).toMatchObject({ scope: 'total', timeoutMs: 600_000 });
  });

  it('merges overrides stage by stage: maxRetries 1 keeps the attempt timeout', async () => {
    const policy = createChatPolicy({ name: 'mine', retry: { maxRetries: 1 } });
    const events = recordEvents(policy);
    const fn = vi.fn(({ signal }: { signal: AbortSignal }) => hangUntilAborted(signal));
    const call = outcome(policy.execute(fn));
    await vi.runAllTimersAsync();
    expect((await call).error).toMatchObject({ scope: 'attempt', timeoutMs: 180_000 });
    expect(fn).toHaveBeenCalledTimes(2);
    expect(events.find(([name]) => name === 'giveUp')?.[1]).toMatchObject({
      policy: 'mine',
      why: 'max_retries',
    });
  });

  it('turns a stage off with false', async () => {
    const policy = createChatPolicy({ retry: false, bulkhead: { maxConcurrent: 1, maxQueued: 0 } });
    const fn = vi.fn(() => Promise.reject(httpError(500)));
    await outcome(policy.execute(fn));
    expect(fn).toHaveBeenCalledTimes(1);
    const running = outcome(policy.execute(({ signal }) => hangUntilAborted(signal)));
    expect((await outcome(policy.execute(() => 1))).error).toBeInstanceOf(BulkheadRejectedError);
    await vi.runAllTimersAsync();
    await running;
  });

  it('gives each createChatPolicy its own breaker', async () => {
    const a = createChatPolicy({ retry: false });
    const b = createChatPolicy({ retry: false });
    for (let i = 0; i < 5; i++) await outcome(a.execute(() => Promise.reject(httpError(500))));
    expect(a.circuitState).toBe('open');
    expect(b.circuitState).toBe('closed');
  });

  it('throws a TypeError naming a bad override', () => {
    expect(() => createChatPolicy({ retry: { maxRetries: -1 } })).toThrow(
      new TypeError('retry.maxRetries must be an integer >= 0, got -1'),
    );
    expect(() => createChatPolicy({ timeout: { totalMs: 1_000 } })).toThrow(
      'timeout.attemptMs must be <= timeout.totalMs (1000), got 180000',
    );
    expect(() => createChatPolicy({ retries: 1 } as never)).toThrow(
      'retries is not a policy option',
    );
  });

  it('refuses a breaker override naming both kinds with the message createPolicy gives', () => {
    const both = { consecutiveFailures: 3, failureRatio: 0.5 };
    const message =
      'circuitBreaker.consecutiveFailures cannot be combined with failureRatio, minimumCalls and samplingMs, got 3';
    expect(() =>
      createPolicy({ circuitBreaker: { ...both, halfOpenAfterMs: 1_000 } } as never),
    ).toThrow(new TypeError(message));
    expect(() => createChatPolicy({ circuitBreaker: both })).toThrow(new TypeError(message));
    expect(() => createEmbeddingsPolicy({ circuitBreaker: both })).toThrow(new TypeError(message));
    expect(() => createStreamPolicy({ circuitBreaker: both })).toThrow(new TypeError(message));
  });
});
