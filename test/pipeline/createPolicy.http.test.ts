import { BrokenCircuitError, BulkheadRejectedError } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { classifyOpenAIError, TimeoutError } from '../../src/errors/index.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { replies } from '../../src/testing/index.js';
import { useScriptedChat } from '../support/fakeServer.js';
import { outcome, recordEvents } from '../support/pipeline.js';

// The pipeline with the real openai client (its own retries off) over real HTTP against the fake
// server, in real time.

const serve = useScriptedChat();

const QUICK = { initialDelayMs: 50, maxDelayMs: 100 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the pipeline over real HTTP', () => {
  it('429 with retry-after-ms, then 200: waits at least the hint', async () => {
    const { server, chat } = await serve([replies.rateLimit({ retryAfterMs: 400 }), replies.ok()]);
    const policy = createChatPolicy();
    const events = recordEvents(policy);
    const reply = await policy.execute(chat);
    expect(reply.choices[0]?.message.content).toBeTypeOf('string');
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect((second?.time ?? 0) - (first?.time ?? 0)).toBeGreaterThanOrEqual(400);
    expect(events.map(([name]) => name).filter((n) => n !== 'paced')).toEqual([
      'rateLimited',
      'retry',
      'success',
    ]);
    expect(events[0]?.[1]).toMatchObject({
      waitMs: 400,
      reason: { kind: 'rate_limit', retryAfterMs: 400 },
    });
  });

  it('insufficient_quota: exactly one request', async () => {
    const { server, chat } = await serve(replies.quota());
    const policy = createChatPolicy();
    const events = recordEvents(policy);
    const { error } = await outcome(policy.execute(chat));
    expect(classifyOpenAIError(error).kind).toBe('quota');
    expect(server.requests).toHaveLength(1);
    expect(events.find(([name]) => name === 'giveUp')?.[1]).toMatchObject({
      why: 'not_retryable',
      attempts: 1,
    });
    expect(policy.circuitState).toBe('closed');
  });

  it('400 context_length_exceeded: one request', async () => {
    const { server, chat } = await serve(replies.contextLength());
    const { error } = await outcome(createChatPolicy().execute(chat));
    expect(classifyOpenAIError(error).kind).toBe('context_length');
    expect(server.requests).toHaveLength(1);
  });

  it('500, 500, 200: three requests, two retry events', async () => {
    const { server, chat } = await serve([
      replies.serverError(),
      replies.serverError(),
      replies.ok(),
    ]);
    const policy = createChatPolicy({ retry: QUICK });
    const events = recordEvents(policy);
    await policy.execute(chat);
    expect(server.requests).toHaveLength(3);
    expect(server.requests.map((r) => r.retryCount)).toEqual([0, 0, 0]); // the SDK itself never retried
    const retries = events.filter(([name]) => name === 'retry').map(([, e]) => e);
    expect(retries).toEqual([
      expect.objectContaining({
        attempt: 1,
        reason: expect.objectContaining({ kind: 'server', status: 500 }),
      }),
      expect.objectContaining({
        attempt: 2,
        reason: expect.objectContaining({ kind: 'server', status: 500 }),
      }),
    ]);
    expect(events.at(-1)).toEqual(['success', expect.objectContaining({ attempts: 3 })]);
  });

  it('a persistent 503 opens the breaker; calls then fail fast without a request; half-open and reset', async () => {
    const { server, chat } = await serve(replies.overloaded());
    const policy = createChatPolicy({
      retry: false,
      circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 300, maxHalfOpenAfterMs: 300 },
    });
    const events = recordEvents(policy);
    for (let i = 0; i < 3; i++) await outcome(policy.execute(chat));
    expect(policy.circuitState).toBe('open');
    expect(server.requests).toHaveLength(3);
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      expect((await outcome(policy.execute(chat))).error).toBeInstanceOf(BrokenCircuitError);
    }
    expect(Date.now() - started).toBeLessThan(100);
    expect(server.requests).toHaveLength(3);
    server.setScript(replies.ok());
    await sleep(300);
    await policy.execute(chat);
    expect(server.requests).toHaveLength(4);
    expect(policy.circuitState).toBe('closed');
    expect(
      events.map(([name]) => name).filter((n) => ['break', 'halfOpen', 'reset'].includes(n)),
    ).toEqual(['break', 'halfOpen', 'reset']);
    expect(events.find(([name]) => name === 'break')?.[1]).toMatchObject({
      openMs: 300,
      reason: { kind: 'overloaded', status: 503 },
    });
  });

  it('a hanging response is cut by the attempt timeout and retried', async () => {
    const { server, chat } = await serve([replies.hang(), replies.ok()]);
    const policy = createChatPolicy({ retry: QUICK, timeout: { attemptMs: 300 } });
    const events = recordEvents(policy);
    await policy.execute(chat);
    expect(server.requests).toHaveLength(2);
    await sleep(50);
    expect(server.requests[0]?.clientClosed).toBe(true);
    expect(events.find(([name]) => name === 'timeout')?.[1]).toEqual({
      policy: 'chat',
      scope: 'attempt',
      timeoutMs: 300,
      attempt: 1,
    });
    const retry = events.find(([name]) => name === 'retry')?.[1];
    expect(retry).toMatchObject({ attempt: 1, reason: { kind: 'timeout' } });
  });

  it('never surfaces the SDK abort error for its own timeout', async () => {
    const { chat } = await serve(replies.hang());
    const policy = createChatPolicy({ retry: false, timeout: { attemptMs: 200 } });
    const { error } = await outcome(policy.execute(chat));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ scope: 'attempt', timeoutMs: 200 });
  });

  it('a caller abort during the backoff sleep rejects within 50 ms, with no further request', async () => {
    const { server, chat } = await serve(replies.serverError());
    const policy = createChatPolicy({ retry: { initialDelayMs: 5_000, maxDelayMs: 5_000 } });
    const events = recordEvents(policy);
    const controller = new AbortController();
    const call = outcome(policy.execute(chat, controller.signal));
    while (!events.some(([name]) => name === 'retry')) await sleep(5);
    const abortedAt = performance.now();
    controller.abort();
    const { error } = await call;
    expect(performance.now() - abortedAt).toBeLessThan(50);
    expect(classifyOpenAIError(error).kind).toBe('aborted');
    await sleep(200);
    expect(server.requests).toHaveLength(1);
  });

  it('a caller abort during a request closes it and rejects within 50 ms', async () => {
    const { server, chat } = await serve(replies.hang());
    const controller = new AbortController();
    const call = outcome(createChatPolicy().execute(chat, controller.signal));
    while (server.requests.length === 0) await sleep(5);
    const abortedAt = performance.now();
    controller.abort();
    const { error } = await call;
    expect(performance.now() - abortedAt).toBeLessThan(50);
    expect(classifyOpenAIError(error).kind).toBe('aborted');
    await sleep(50);
    expect(server.requests[0]?.clientClosed).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('the bulkhead rejects the (maxConcurrent + maxQueued + 1)th concurrent call', async () => {
    const { server, chat } = await serve(replies.delay(300, replies.ok()));
    const policy = createChatPolicy({ bulkhead: { maxConcurrent: 2, maxQueued: 1 } });
    const events = recordEvents(policy);
    const calls = Array.from({ length: 4 }, () => outcome(policy.execute(chat)));
    const results = await Promise.all(calls);
    expect(results.slice(0, 3).every((r) => r.error === undefined)).toBe(true);
    expect(results[3]?.error).toBeInstanceOf(BulkheadRejectedError);
    expect(server.requests).toHaveLength(3);
    expect(events.find(([name]) => name === 'bulkheadReject')?.[1]).toEqual({
      policy: 'chat',
      executing: 2,
      queued: 1,
    });
  });
});
