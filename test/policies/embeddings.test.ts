import { describe, expect, it, vi } from 'vitest';
import * as root from '../../src/index.js';
import { LlmPolicy } from '../../src/pipeline/LlmPolicy.js';
import {
  createEmbeddingsPolicy,
  EMBEDDINGS_POLICY_DEFAULTS,
  embeddingsPolicy,
} from '../../src/policies/embeddings.js';
import * as policiesEntry from '../../src/policies/index.js';
import { hangUntilAborted, httpError, outcome, useFakeClock } from '../support/pipeline.js';

useFakeClock();

describe('embeddings preset', () => {
  it('is one shared instance, exported from the root and from policies/', () => {
    expect(embeddingsPolicy).toBeInstanceOf(LlmPolicy);
    expect(embeddingsPolicy.name).toBe('embeddings');
    expect(root.embeddingsPolicy).toBe(embeddingsPolicy);
    expect(policiesEntry.embeddingsPolicy).toBe(embeddingsPolicy);
    expect(Object.isFrozen(EMBEDDINGS_POLICY_DEFAULTS.circuitBreaker)).toBe(true);
  });

  it('has the documented defaults', () => {
    expect(EMBEDDINGS_POLICY_DEFAULTS).toEqual({
      name: 'embeddings',
      retry: { maxRetries: 5, initialDelayMs: 1_000, maxDelayMs: 60_000, maxRetryAfterMs: 60_000 },
      retryBudget: { percent: 20, minPerSec: 10, windowMs: 10_000 },
      timeout: { attemptMs: 30_000, totalMs: 120_000 },
      circuitBreaker: {
        failureRatio: 0.5,
        minimumCalls: 20,
        samplingMs: 30_000,
        halfOpenAfterMs: 1_000,
        maxHalfOpenAfterMs: 60_000,
      },
      bulkhead: { maxConcurrent: 100, maxQueued: 10_000 },
      rateLimit: {},
    });
  });

  it('cuts a hanging attempt at 30 s and retries it', async () => {
    const policy = createEmbeddingsPolicy();
    const fn = vi.fn(({ signal, attempt }: { signal: AbortSignal; attempt: number }) =>
      attempt === 1 ? hangUntilAborted(signal) : Promise.resolve([0.1, 0.2]),
    );
    const call = outcome(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(30_000);
    await vi.runAllTimersAsync();
    expect(await call).toEqual({ value: [0.1, 0.2] });
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('opens its sampling breaker only when more than half of at least 20 calls fail', async () => {
    const policy = createEmbeddingsPolicy({ retry: false });
    for (let i = 0; i < 10; i++) await policy.execute(() => 'ok');
    for (let i = 0; i < 10; i++)
      await outcome(policy.execute(() => Promise.reject(httpError(500))));
    expect(policy.circuitState).toBe('closed'); // 10 of 20: not more than half
    await outcome(policy.execute(() => Promise.reject(httpError(500))));
    expect(policy.circuitState).toBe('open');
  });

  it('switches to a consecutive breaker when an override names one', async () => {
    const policy = createEmbeddingsPolicy({
      retry: false,
      circuitBreaker: { consecutiveFailures: 2 },
    });
    for (let i = 0; i < 2; i++) await outcome(policy.execute(() => Promise.reject(httpError(500))));
    expect(policy.circuitState).toBe('open');
  });
});
