import { getEventListeners } from 'node:events';
import { BulkheadRejectedError, CircuitState } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { LlmStreamPolicy } from '../../src/stream/LlmStreamPolicy.js';
import { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';
import { channel, drain } from '../support/channel.js';
import { httpError, outcome, recordEvents, useFakeClock } from '../support/pipeline.js';

const RETRY = { maxRetries: 2, initialDelayMs: 100, maxDelayMs: 100, maxRetryAfterMs: 1_000 };

useFakeClock();

/** A stand-in for the SDK call: a new channel per attempt that ends silently on abort. */
function sdkCalls<T>() {
  const calls: { signal: AbortSignal; attempt: number; source: ReturnType<typeof channel<T>> }[] =
    [];
  const fn = ({ signal, attempt }: { signal: AbortSignal; attempt: number }) => {
    const source = channel<T>({ endOnAbort: signal });
    calls.push({ signal, attempt, source });
    return source.iterable;
  };
  const at = (i: number) => {
    const call = calls[i];
    if (call === undefined) throw new Error(`no call ${i}`);
    return call;
  };
  return { fn, calls, at };
}

describe('LlmStreamPolicy', () => {
  it('resolves at the first chunk, yields every chunk and reports firstToken, success and streamEnd', async () => {
    const policy = new LlmStreamPolicy({
      name: 's',
      timeout: { firstTokenMs: 1_000, idleMs: 500 },
    });
    const events = recordEvents(policy);
    const sdk = sdkCalls<string>();
    let resolved = false;
    const pending = policy.execute(sdk.fn).then((s) => {
      resolved = true;
      return s;
    });
    await vi.advanceTimersByTimeAsync(300);
    expect(resolved).toBe(false);
    sdk.at(0).source.push('a');
    const stream = await pending;
    expect(events).toEqual([
      ['firstToken', { policy: 's', attempt: 1, latencyMs: 300 }],
      ['success', { policy: 's', attempts: 1, durationMs: 300 }],
    ]);
    sdk.at(0).source.push('b', 'c');
    await vi.advanceTimersByTimeAsync(200);
    sdk.at(0).source.end();
    expect(await drain(stream)).toEqual({ chunks: ['a', 'b', 'c'] });
    expect(events.at(-1)).toEqual([
      'streamEnd',
      { policy: 's', chunks: 3, durationMs: 500, outcome: 'completed' },
    ]);
    expect(sdk.at(0).signal.aborted).toBe(false);
  });

  it('retries an attempt whose first token does not come within firstTokenMs', async () => {
    const policy = new LlmStreamPolicy({
      name: 's',
      retry: RETRY,
      timeout: { firstTokenMs: 1_000 },
    });
    const events = recordEvents(policy);
    const sdk = sdkCalls<string>();
    const result = outcome(policy.execute(sdk.fn));
    await vi.advanceTimersByTimeAsync(999);
    expect(sdk.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sdk.at(0).signal.reason).toBeInstanceOf(TimeoutError);
    expect(sdk.at(0).signal.reason).toMatchObject({ scope: 'firstToken', timeoutMs: 1_000 });
    expect(sdk.at(0).source.state.returned).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(sdk.calls.map((c) => c.attempt)).toEqual([1, 2]);
    sdk.at(1).source.push('x');
    sdk.at(1).source.end();
    const { value, error } = await result;
    expect(error).toBeUndefined();
    expect(await drain(value as AsyncIterable<string>)).toEqual({ chunks: ['x'] });
    expect(events.map(([name]) => name)).toEqual([
      'timeout',
      'retry',
      'firstToken',
      'success',
      'streamEnd',
    ]);
    expect(events[0]).toEqual([
      'timeout',
      { policy: 's', scope: 'firstToken', timeoutMs: 1_000, attempt: 1 },
    ]);
    expect(events[2]).toEqual(['firstToken', { policy: 's', attempt: 2, latencyMs: 1_000 }]);
  });

  it('retries a stream that fails before its first chunk, and a request that fails', async () => {
    const policy = new LlmStreamPolicy({ retry: RETRY, timeout: false });
    let attempt = 0;
    const stream = policy.execute(async () => {
      attempt++;
      if (attempt === 1) throw httpError(500);
      const source = channel<number>();
      if (attempt === 2) source.fail(new TypeError('terminated'));
      else source.push(attempt);
      source.end();
      return source.iterable;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await drain(await stream)).toEqual({ chunks: [3] });
  });

  it('never retries once the first chunk has arrived', async () => {
    const policy = new LlmStreamPolicy({ retry: RETRY });
    const events = recordEvents(policy);
    const sdk = sdkCalls<string>();
    const pending = policy.execute(sdk.fn);
    await vi.advanceTimersByTimeAsync(0);
    sdk.at(0).source.push('a', 'b');
    const stream = await pending;
    const reading = drain(stream);
    await vi.advanceTimersByTimeAsync(0);
    const failure = httpError(500);
    sdk.at(0).source.fail(failure);
    const { chunks, error } = await reading;
    expect(chunks).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error).toMatchObject({ chunks: 2, cause: failure });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sdk.calls).toHaveLength(1);
    expect(events.at(-1)).toEqual([
      'streamEnd',
      {
        policy: 'stream',
        chunks: 2,
        durationMs: 0,
        outcome: 'failed',
        reason: expect.objectContaining({ kind: 'server', status: 500 }),
      },
    ]);
    expect(events.map(([name]) => name)).not.toContain('retry');
  });

  it('fails a stream idle for idleMs with an idle timeout event', async () => {
    const policy = new LlmStreamPolicy({ timeout: { idleMs: 500 } });
    const events = recordEvents(policy);
    const sdk = sdkCalls<string>();
    const pending = policy.execute(sdk.fn);
    await vi.advanceTimersByTimeAsync(0);
    sdk.at(0).source.push('a');
    const reading = drain(await pending);
    await vi.advanceTimersByTimeAsync(500);
    const { error } = await reading;
    expect(error).toMatchObject({ chunks: 1, cause: { scope: 'idle', timeoutMs: 500 } });
    expect(sdk.at(0).signal.aborted).toBe(true);
    expect(events.slice(-2)).toEqual([
      ['timeout', { policy: 'stream', scope: 'idle', timeoutMs: 500, attempt: 1 }],
      [
        'streamEnd',
        {
          policy: 'stream',
          chunks: 1,
          durationMs: 500,
          outcome: 'failed',
          reason: expect.objectContaining({ kind: 'timeout' }),
        },
      ],
    ]);
  });

  it('holds the bulkhead slot until the stream ends, fails or is released', async () => {
    const policy = new LlmStreamPolicy({ bulkhead: { maxConcurrent: 1, maxQueued: 1 } });
    const sdk = sdkCalls<string>();
    const first = policy.execute(sdk.fn);
    await vi.advanceTimersByTimeAsync(0);
    sdk.at(0).source.push('a');
    const stream = await first;
    const second = policy.execute(sdk.fn);
    await expect(policy.execute(sdk.fn)).rejects.toBeInstanceOf(BulkheadRejectedError);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sdk.calls).toHaveLength(1);
    sdk.at(0).source.end();
    await drain(stream);
    await vi.advanceTimersByTimeAsync(0);
    expect(sdk.calls).toHaveLength(2);
    sdk.at(1).source.push('b', 'c');
    const secondStream = await second;
    const third = policy.execute(sdk.fn);
    await vi.advanceTimersByTimeAsync(0);
    expect(sdk.calls).toHaveLength(2);
    for await (const _ of secondStream) break;
    await vi.advanceTimersByTimeAsync(0);
    expect(sdk.calls).toHaveLength(3);
    expect(sdk.at(1).signal.aborted).toBe(true);
    sdk.at(2).source.push('d');
    const thirdStream = await third;
    const reading = drain(thirdStream);
    sdk.at(2).source.fail(new TypeError('terminated'));
    expect((await reading).error).toBeInstanceOf(StreamInterruptedError);
    const fourth = policy.execute(sdk.fn);
    await vi.advanceTimersByTimeAsync(0);
    expect(sdk.calls).toHaveLength(4);
    sdk.at(3).source.end();
    expect(await drain(await fourth)).toEqual({ chunks: [] });
  });

  it('lets the total timeout cover the whole stream, then frees the slot', async () => {
    const policy = new LlmStreamPolicy({
      timeout: { firstTokenMs: 500, idleMs: 10_000, totalMs: 1_000 },
      bulkhead: { maxConcurrent: 1, maxQueued: 0 },
    });
    const events = recordEvents(policy);
    const sdk = sdkCalls<string>();
    const pending = policy.execute(sdk.fn);
    await vi.advanceTimersByTimeAsync(100);
    sdk.at(0).source.push('a');
    const reading = drain(await pending);
    for (let t = 200; t < 1_000; t += 200) {
      await vi.advanceTimersByTimeAsync(200);
      sdk.at(0).source.push(`t${t}`);
    }
    await vi.advanceTimersByTimeAsync(100);
    const { chunks, error } = await reading;
    expect(chunks).toEqual(['a', 't200', 't400', 't600', 't800']);
    expect(error).toMatchObject({ chunks: 5, cause: { scope: 'total', timeoutMs: 1_000 } });
    // Only the total timeout fired: the stream failing on it is no idle timeout.
    expect(events.filter(([name]) => name === 'timeout')).toEqual([
      ['timeout', { policy: 'stream', scope: 'total', timeoutMs: 1_000, attempt: 1 }],
    ]);
    expect(events.at(-1)).toMatchObject(['streamEnd', { outcome: 'failed', durationMs: 1_000 }]);
    const next = policy.execute(sdk.fn);
    await vi.advanceTimersByTimeAsync(0);
    expect(sdk.calls).toHaveLength(2);
    sdk.at(1).source.end();
    await drain(await next);
  });

  it('fails the stream at once when the caller aborts after the first chunk, and frees the slot', async () => {
    const policy = new LlmStreamPolicy({ bulkhead: { maxConcurrent: 1, maxQueued: 0 } });
    const events = recordEvents(policy);
    const sdk = sdkCalls<string>();
    const caller = new AbortController();
    const pending = policy.execute(sdk.fn, { signal: caller.signal, tokens: 10 });
    await vi.advanceTimersByTimeAsync(0);
    sdk.at(0).source.push('a', 'b');
    const stream = await pending;
    const reason = new DOMException('user left', 'AbortError');
    caller.abort(reason);
    expect(sdk.at(0).signal.reason).toBe(reason);
    expect(events.at(-1)).toMatchObject([
      'streamEnd',
      { outcome: 'failed', chunks: 0, reason: { kind: 'aborted' } },
    ]);
    const { chunks, error } = await drain(stream);
    expect(chunks).toEqual([]);
    expect(error).toMatchObject({ name: 'StreamInterruptedError', chunks: 0, cause: reason });
    const next = policy.execute(sdk.fn);
    await vi.advanceTimersByTimeAsync(0);
    expect(sdk.calls).toHaveLength(2);
    sdk.at(1).source.end();
    await drain(await next);
  });

  it('rejects at once, without a retry, when the caller aborts before the first chunk', async () => {
    const policy = new LlmStreamPolicy({ retry: RETRY });
    const sdk = sdkCalls<string>();
    const caller = new AbortController();
    const result = outcome(policy.execute(sdk.fn, caller.signal));
    await vi.advanceTimersByTimeAsync(50);
    caller.abort('stop');
    expect(await result).toEqual({ error: 'stop' });
    expect(sdk.at(0).signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sdk.calls).toHaveLength(1);
  });

  it('resolves an empty stream as completed, without a firstToken event', async () => {
    const policy = new LlmStreamPolicy();
    const events = recordEvents(policy);
    const stream = await policy.execute(() => {
      const source = channel<string>();
      source.end();
      return source.iterable;
    });
    expect(await drain(stream)).toEqual({ chunks: [] });
    expect(events.map(([name]) => name)).toEqual(['streamEnd', 'success']);
  });

  it('fails, without retrying, when fn returns something that is not an async iterable', async () => {
    const policy = new LlmStreamPolicy({ retry: RETRY });
    const fn = vi.fn(() => ({ data: 'not a stream' }) as unknown as AsyncIterable<string>);
    await expect(policy.execute(fn)).rejects.toThrow(
      new TypeError('source must be an AsyncIterable, got an object'),
    );
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('throws a TypeError at once for a bad fn or bad execute options', () => {
    const policy = new LlmStreamPolicy();
    expect(() => policy.execute(42 as never)).toThrow(
      new TypeError('execute: fn must be a function, got 42'),
    );
    const fn = () => channel<string>().iterable;
    expect(() => policy.execute(fn, { tokens: -1 })).toThrow(/execute: tokens must be/);
    expect(() => policy.execute(fn, null as never)).toThrow(/execute: the second argument/);
  });

  it.each([
    [
      { timeout: { firstTokenMs: 0 } },
      'timeout.firstTokenMs must be a number of milliseconds > 0, or Infinity, got 0',
    ],
    [
      { timeout: { idleMs: -5 } },
      'timeout.idleMs must be a number of milliseconds > 0, or Infinity, got -5',
    ],
    [
      { timeout: { totalMs: 'x' } },
      'timeout.totalMs must be a number of milliseconds > 0, or Infinity, got "x"',
    ],
    [
      { timeout: { attemptMs: 5 } },
      'timeout.attemptMs is not a timeout option (known: firstTokenMs, idleMs, totalMs), got 5',
    ],
    [
      { timeout: { firstTokenMs: 2_000, totalMs: 1_000 } },
      'timeout.firstTokenMs must be <= timeout.totalMs (1000), got 2000',
    ],
    [{ timeout: 5 }, 'timeout must be an object or false, got 5'],
    [
      { bulkhead: { maxConcurrent: 0, maxQueued: 0 } },
      'bulkhead.maxConcurrent must be an integer >= 1, got 0',
    ],
    [{ colour: 'red' }, /colour is not a policy option/],
    ['fast', 'options must be an object, got "fast"'],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new LlmStreamPolicy(options as never)).toThrow(
      typeof message === 'string' ? new TypeError(message) : message,
    );
  });

  it('takes Infinity as no limit', async () => {
    const policy = new LlmStreamPolicy({
      timeout: { firstTokenMs: Number.POSITIVE_INFINITY, idleMs: Number.POSITIVE_INFINITY },
    });
    const sdk = sdkCalls<string>();
    const pending = policy.execute(sdk.fn);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    sdk.at(0).source.push('a');
    const reading = drain(await pending);
    await vi.advanceTimersByTimeAsync(3_600_000);
    sdk.at(0).source.end();
    expect(await reading).toEqual({ chunks: ['a'] });
  });

  it('tells the state of its circuit breaker, and never starts a request for a call aborted just before its attempt', async () => {
    const policy = new LlmStreamPolicy({
      circuitBreaker: { consecutiveFailures: 1, halfOpenAfterMs: 1_000 },
    });
    expect(policy.circuitState).toBe('closed');
    const fn = vi.fn(async (_context: { signal: AbortSignal }): Promise<AsyncIterable<string>> => {
      throw httpError(500);
    });
    await expect(policy.execute(fn)).rejects.toMatchObject({ status: 500 });
    expect(policy.circuitState).toBe('open');
    expect(policy.circuitBreaker?.state).toBe(CircuitState.Open);
    await vi.advanceTimersByTimeAsync(1_000);
    // The caller gives up as the breaker lets a probe through, before the attempt has begun.
    const caller = new AbortController();
    policy.events.on('halfOpen', () => caller.abort('stop'));
    await expect(policy.execute(fn, caller.signal)).rejects.toBe('stop');
    await vi.advanceTimersByTimeAsync(0);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it('has no circuit breaker unless asked for one', () => {
    const policy = new LlmStreamPolicy();
    expect(policy.circuitBreaker).toBeUndefined();
    expect(policy.circuitState).toBe('closed');
  });

  it('rejects at once when the caller aborts, given as a bare signal, during a retry delay', async () => {
    const policy = new LlmStreamPolicy({ retry: RETRY });
    const fn = vi.fn(async (): Promise<AsyncIterable<string>> => {
      throw httpError(500);
    });
    const caller = new AbortController();
    const settled = vi.fn();
    const done = policy.execute(fn, caller.signal).catch(settled);
    await vi.advanceTimersByTimeAsync(50);
    expect(fn).toHaveBeenCalledTimes(1);
    caller.abort('stop');
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toHaveBeenCalledWith('stop');
    await vi.advanceTimersByTimeAsync(1_000);
    await done;
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('holds the bulkhead slot until the stream ends when execute is given { signal }', async () => {
    const policy = new LlmStreamPolicy({ bulkhead: { maxConcurrent: 1, maxQueued: 0 } });
    const sdk = sdkCalls<string>();
    const pending = policy.execute(sdk.fn, { signal: new AbortController().signal });
    await vi.advanceTimersByTimeAsync(0);
    sdk.at(0).source.push('a');
    const stream = await pending;
    await expect(policy.execute(sdk.fn)).rejects.toBeInstanceOf(BulkheadRejectedError);
    sdk.at(0).source.end();
    expect(await drain(stream)).toEqual({ chunks: ['a'] });
    const next = policy.execute(sdk.fn, {});
    await vi.advanceTimersByTimeAsync(0);
    expect(sdk.calls).toHaveLength(2);
    sdk.at(1).source.end();
    await drain(await next);
  });

  it.each([
    [null, 'null'],
    [[], 'an array'],
    ['fast', '"fast"'],
  ])('throws a TypeError at once for the second argument %j', (second, described) => {
    const policy = new LlmStreamPolicy();
    const fn = vi.fn(() => channel<string>().iterable);
    expect(() => policy.execute(fn, second as never)).toThrow(
      new TypeError(
        `execute: the second argument must be an AbortSignal or { signal?, tokens?, maxWaitMs? }, got ${described}`,
      ),
    );
    expect(fn).not.toHaveBeenCalled();
  });

  it("leaves the caller's signal alone once the call has failed: no listener, no late abort", async () => {
    const policy = new LlmStreamPolicy({ retry: false });
    const signals: AbortSignal[] = [];
    const caller = new AbortController();
    const failure = httpError(400);
    const result = policy.execute(({ signal }) => {
      signals.push(signal);
      throw failure;
    }, caller.signal);
    await expect(result).rejects.toBe(failure);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    caller.abort('too late');
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(false);
  });

  it("leaves the caller's signal alone once the stream has ended: no listener, no late abort", async () => {
    const policy = new LlmStreamPolicy();
    const events = recordEvents(policy);
    const sdk = sdkCalls<string>();
    const caller = new AbortController();
    const pending = policy.execute(sdk.fn, { signal: caller.signal });
    await vi.advanceTimersByTimeAsync(0);
    sdk.at(0).source.push('a');
    const stream = await pending;
    sdk.at(0).source.end();
    expect(await drain(stream)).toEqual({ chunks: ['a'] });
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    caller.abort('too late');
    expect(sdk.at(0).signal.aborted).toBe(false);
    expect(events.filter(([name]) => name === 'streamEnd')).toHaveLength(1);
  });
});
