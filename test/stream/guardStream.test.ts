import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { guardStream, type StreamEndReport } from '../../src/stream/guardStream.js';
import { StreamEndedEarlyError } from '../../src/stream/StreamEndedEarlyError.js';
import { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';
import { channel, drain } from '../support/channel.js';

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const seen: T[] = [];
  for await (const chunk of stream) seen.push(chunk);
  return seen;
}

describe('guardStream', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  it('resolves only once the first chunk has arrived, then yields every chunk in order', async () => {
    const source = channel<number>();
    const ends: StreamEndReport[] = [];
    let resolved = false;
    const guarded = guardStream(source.iterable, { onEnd: (e) => ends.push(e) }).then((s) => {
      resolved = true;
      return s;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(resolved).toBe(false);
    source.push(1);
    const stream = await guarded;
    source.push(2, 3);
    source.end();
    await vi.advanceTimersByTimeAsync(250);
    expect(await collect(stream)).toEqual([1, 2, 3]);
    expect(stream.chunks).toBe(3);
    expect(ends).toEqual([{ chunks: 3, durationMs: 1_250, outcome: 'completed' }]);
    expect(source.state.returned).toBe(0);
  });

  it('rejects with the raw error, closes the connection and reports no end when the source fails before its first chunk', async () => {
    const source = channel<number>();
    const controller = new AbortController();
    const onEnd = vi.fn();
    const guarded = guardStream(source.iterable, { controller, onEnd });
    const failure = new TypeError('terminated');
    source.fail(failure);
    await expect(guarded).rejects.toBe(failure);
    expect(controller.signal.aborted).toBe(true);
    expect(controller.signal.reason).toBe(failure);
    expect(source.state.returned).toBe(1);
    expect(onEnd).not.toHaveBeenCalled();
  });

  it('rejects with the abort reason when the controller aborts before the first chunk', async () => {
    const source = channel<number>();
    const controller = new AbortController();
    const guarded = guardStream(source.iterable, { controller, idleMs: 50 });
    const reason = new TimeoutError('firstToken', 100);
    setTimeout(() => controller.abort(reason), 100);
    const settled = expect(guarded).rejects.toBe(reason);
    await vi.advanceTimersByTimeAsync(100);
    await settled;
    expect(source.state.returned).toBe(1);
  });

  it('holds Responses API lifecycle events back until the first output, then yields them all in order', async () => {
    const source = channel<{ type: string }>();
    let resolved = false;
    const guarded = guardStream(source.iterable, { idleMs: 50 }).then((s) => {
      resolved = true;
      return s;
    });
    source.push({ type: 'response.created' }, { type: 'response.in_progress' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(resolved).toBe(false);
    source.push({ type: 'response.output_text.delta' }, { type: 'response.completed' });
    const stream = await guarded;
    source.end();
    expect((await collect(stream)).map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_text.delta',
      'response.completed',
    ]);
    expect(stream.chunks).toBe(4);
  });

  it('takes a custom isFirstToken, and resolves with the held chunks when the source ends first', async () => {
    const source = channel<number>();
    const onEnd = vi.fn();
    source.push(1, 2);
    source.end();
    const stream = await guardStream(source.iterable, { isFirstToken: (n) => n > 5, onEnd });
    expect(onEnd).not.toHaveBeenCalled();
    expect(await collect(stream)).toEqual([1, 2]);
    expect(onEnd).toHaveBeenCalledWith({ chunks: 2, durationMs: 0, outcome: 'completed' });
  });

  it('does not apply idleMs to the first chunk', async () => {
    const source = channel<string>();
    const guarded = guardStream(source.iterable, { idleMs: 50 });
    await vi.advanceTimersByTimeAsync(500);
    source.push('a');
    source.end();
    expect(await collect(await guarded)).toEqual(['a']);
  });

  it('throws a StreamInterruptedError with an idle TimeoutError after idleMs without a chunk', async () => {
    const source = channel<number>();
    const controller = new AbortController();
    const ends: StreamEndReport[] = [];
    source.push(1, 2, 3);
    const stream = await guardStream(source.iterable, {
      controller,
      idleMs: 200,
      onEnd: (e) => ends.push(e),
    });
    const seen: number[] = [];
    const reading = (async () => {
      for await (const chunk of stream) seen.push(chunk);
    })();
    const outcome = reading.then(
      () => 'completed',
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(199);
    expect(controller.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(StreamInterruptedError);
    const interrupted = error as StreamInterruptedError;
    expect(interrupted.chunks).toBe(3);
    expect(interrupted.cause).toBeInstanceOf(TimeoutError);
    expect(interrupted.cause).toMatchObject({ scope: 'idle', timeoutMs: 200 });
    expect(seen).toEqual([1, 2, 3]);
    expect(controller.signal.reason).toBe(interrupted.cause);
    expect(source.state.returned).toBe(1);
    expect(ends).toEqual([
      { chunks: 3, durationMs: 200, outcome: 'failed', error: interrupted.cause },
    ]);
  });

  it('restarts the idle clock for every chunk', async () => {
    const source = channel<number>();
    source.push(0);
    const stream = await guardStream(source.iterable, { idleMs: 100 });
    const reading = collect(stream);
    for (let i = 1; i <= 5; i++) {
      await vi.advanceTimersByTimeAsync(99);
      source.push(i);
    }
    source.end();
    expect(await reading).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('counts idle time only while the consumer waits for a chunk', async () => {
    const source = channel<number>();
    source.push(1);
    const stream = await guardStream(source.iterable, { idleMs: 100 });
    const iterator = stream[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    await vi.advanceTimersByTimeAsync(1_000);
    source.push(2);
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    source.end();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('wraps a connection error mid-stream, telling the chunks delivered', async () => {
    const source = channel<number>();
    source.push(1, 2);
    const stream = await guardStream(source.iterable, { idleMs: 1_000 });
    const terminated = new TypeError('terminated');
    const reading = collect(stream);
    const settled = expect(reading).rejects.toMatchObject({
      name: 'StreamInterruptedError',
      chunks: 2,
      cause: terminated,
    });
    await vi.advanceTimersByTimeAsync(10);
    source.fail(terminated);
    await settled;
    const iterator = stream[Symbol.asyncIterator];
    expect(() => iterator.call(stream)).toThrow(TypeError);
  });

  it('throws when the controller aborts mid-stream, promptly, with the abort reason as cause', async () => {
    const controller = new AbortController();
    const source = channel<number>();
    source.push(1);
    const stream = await guardStream(source.iterable, { controller, idleMs: 10_000 });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next();
    const reason = new DOMException('caller gave up', 'AbortError');
    controller.abort(reason);
    await expect(pending).rejects.toMatchObject({ chunks: 1, cause: reason });
    expect(source.state.returned).toBe(1);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('never ends silently when a source just returns because its own SDK controller was aborted', async () => {
    const sdkController = new AbortController();
    const source = channel<number>();
    const sdkStream = Object.assign(source.iterable, { controller: sdkController });
    source.push(1);
    const stream = await guardStream(sdkStream);
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    sdkController.abort();
    source.end();
    const error = await iterator.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).cause).toMatchObject({ name: 'AbortError' });
  });

  it('rejects before the first chunk when the SDK controller was aborted and the source ended', async () => {
    const sdkController = new AbortController();
    const source = channel<number>();
    const guarded = guardStream(Object.assign(source.iterable, { controller: sdkController }));
    sdkController.abort(new Error('gone'));
    source.end();
    await expect(guarded).rejects.toThrow('gone');
  });

  it('closes the connection at once when the consumer leaves the loop early', async () => {
    const controller = new AbortController();
    const source = channel<number>();
    const ends: StreamEndReport[] = [];
    source.push(1, 2, 3, 4);
    const stream = await guardStream(source.iterable, {
      controller,
      idleMs: 100,
      onEnd: (e) => ends.push(e),
    });
    for await (const chunk of stream) {
      if (chunk === 2) break;
    }
    expect(controller.signal.aborted).toBe(true);
    expect(source.state.returned).toBe(1);
    expect(ends).toEqual([{ chunks: 2, durationMs: 0, outcome: 'released' }]);
    expect(stream.chunks).toBe(2);
  });

  it('release() closes a stream that was never iterated, once', async () => {
    const controller = new AbortController();
    const source = channel<number>();
    const onEnd = vi.fn();
    source.push(1);
    const stream = await guardStream(source.iterable, { controller, onEnd });
    stream.release();
    stream.release();
    expect(controller.signal.aborted).toBe(true);
    expect(source.state.returned).toBe(1);
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(onEnd).toHaveBeenCalledWith({ chunks: 0, durationMs: 0, outcome: 'released' });
    expect(await collect(stream)).toEqual([]);
  });

  it('resolves an empty source as a completed stream of no chunks', async () => {
    const source = channel<number>();
    const onEnd = vi.fn();
    source.end();
    const stream = await guardStream(source.iterable, { onEnd });
    expect(onEnd).toHaveBeenCalledWith({ chunks: 0, durationMs: 0, outcome: 'completed' });
    expect(await collect(stream)).toEqual([]);
  });

  it('fails a chat stream that ends cleanly before a finish_reason, as a connection error', async () => {
    const source = channel<{ object: string; choices: { finish_reason: string | null }[] }>();
    const chunk = { object: 'chat.completion.chunk', choices: [{ finish_reason: null }] };
    source.push(chunk, chunk);
    source.end();
    const { chunks, error } = await drain(await guardStream(source.iterable));
    expect(chunks).toHaveLength(2);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).cause).toBeInstanceOf(StreamEndedEarlyError);
    expect(classifyOpenAIError(error)).toMatchObject({ kind: 'connection', retryable: true });
  });

  it('rejects before the first token when a Responses API stream ends after its lifecycle events', async () => {
    const source = channel<{ type: string }>();
    source.push({ type: 'response.created' }, { type: 'response.in_progress' });
    source.end();
    await expect(guardStream(source.iterable)).rejects.toBeInstanceOf(StreamEndedEarlyError);
  });

  it('works with an async generator and reports an error thrown inside it', async () => {
    async function* generate() {
      yield 'a';
      yield 'b';
      throw new Error('server error event');
    }
    const stream = await guardStream(generate());
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['a', 'b']);
    expect(error).toMatchObject({ chunks: 2, cause: { message: 'server error event' } });
  });

  it.each([0, -1, Number.NaN, '5'])('rejects idleMs %s', async (idleMs) => {
    const source = channel<number>();
    await expect(guardStream(source.iterable, { idleMs: idleMs as number })).rejects.toThrow(
      new TypeError(
        `idleMs must be a number of milliseconds > 0, or Infinity, got ${idleMs === '5' ? '"5"' : idleMs}`,
      ),
    );
    expect(source.state.nextCalls).toBe(0);
  });

  it.each([
    ['isFirstToken', 'yes'],
    ['isAnswerEnd', 5],
    ['isAnswerEnd', null],
  ])('rejects %s %s, naming the option and the value', async (name, value) => {
    const source = channel<number>();
    await expect(guardStream(source.iterable, { [name]: value })).rejects.toThrow(
      new TypeError(`${name} must be a function, got ${value === 'yes' ? '"yes"' : value}`),
    );
    expect(source.state.nextCalls).toBe(0);
  });

  it('fails a stream of any shape that ends without the chunk a given isAnswerEnd waits for', async () => {
    const source = channel<string>();
    source.push('a', 'b');
    source.end();
    const stream = await guardStream(source.iterable, { isAnswerEnd: (c) => c === 'END' });
    const { chunks, error } = await drain(stream);
    expect(chunks).toEqual(['a', 'b']);
    expect((error as StreamInterruptedError).cause).toBeInstanceOf(StreamEndedEarlyError);
  });

  it('completes a stream whose end chunk a given isAnswerEnd found, chunks after it included', async () => {
    const source = channel<string>();
    source.push('a', 'END', 'usage');
    source.end();
    const stream = await guardStream(source.iterable, { isAnswerEnd: (c) => c === 'END' });
    expect(await collect(stream)).toEqual(['a', 'END', 'usage']);
  });

  it('rejects before the first token with the error an AI SDK error part carries', async () => {
    const source = channel<{ type: string; error?: unknown }>();
    const error = Object.assign(new Error('Service Unavailable'), { statusCode: 503 });
    source.push({ type: 'start' }, { type: 'error', error });
    await expect(guardStream(source.iterable)).rejects.toBe(error);
    expect(source.state.returned).toBe(1);
  });

  it('throws an AI SDK error part after the first token as a StreamInterruptedError', async () => {
    const source = channel<{ type: string; text?: string; error?: unknown }>();
    const error = new Error('terminated');
    source.push({ type: 'text-delta', text: 'a' }, { type: 'error', error });
    const { chunks, error: thrown } = await drain(await guardStream(source.iterable));
    expect(chunks).toHaveLength(1);
    expect(thrown).toBeInstanceOf(StreamInterruptedError);
    expect((thrown as StreamInterruptedError).cause).toBe(error);
  });

  it('rejects a source that is not an async iterable', async () => {
    await expect(guardStream([1, 2] as unknown as AsyncIterable<number>)).rejects.toThrow(
      new TypeError('source must be an AsyncIterable, got an array'),
    );
    await expect(guardStream(null as unknown as AsyncIterable<number>)).rejects.toThrow(
      new TypeError('source must be an AsyncIterable, got null'),
    );
  });

  it('takes idleMs Infinity as no idle limit', async () => {
    const source = channel<number>();
    source.push(1);
    const stream = await guardStream(source.iterable, { idleMs: Number.POSITIVE_INFINITY });
    const reading = collect(stream);
    await vi.advanceTimersByTimeAsync(3_600_000);
    source.push(2);
    source.end();
    expect(await reading).toEqual([1, 2]);
  });

  it('ends at once, freeing its listener, when the controller aborts while nobody reads', async () => {
    const controller = new AbortController();
    const source = channel<number>();
    const onEnd = vi.fn();
    source.push(1, 2);
    const stream = await guardStream(source.iterable, {
      controller,
      onEnd,
      isFirstToken: (n) => n === 2,
    });
    const reason = new TimeoutError('total', 1_000);
    controller.abort(reason);
    expect(onEnd).toHaveBeenCalledWith({
      chunks: 0,
      durationMs: 0,
      outcome: 'failed',
      error: reason,
    });
    expect(source.state.returned).toBe(1);
    const iterator = stream[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ chunks: 0, cause: reason });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it('lets its iterator be taken once, and its return() answers done', async () => {
    const controller = new AbortController();
    const source = channel<number>();
    source.push(1, 2);
    const stream = await guardStream(source.iterable, { controller });
    const iterator = stream[Symbol.asyncIterator]();
    expect(() => stream[Symbol.asyncIterator]()).toThrow(
      new TypeError('A guarded stream can be iterated only once.'),
    );
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    expect(await iterator.return?.()).toEqual({ done: true, value: undefined });
    expect(controller.signal.aborted).toBe(true);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('answers a read pending at release() with done, not with a chunk or an error', async () => {
    const controller = new AbortController();
    const source = channel<number>();
    const onEnd = vi.fn();
    source.push(1, 2);
    const stream = await guardStream(source.iterable, { controller, onEnd });
    const iterator = stream[Symbol.asyncIterator]();
    // The held first chunk is taken at once, but the consumer releases before it arrives.
    const heldRead = iterator.next();
    stream.release();
    expect(await heldRead).toEqual({ done: true, value: undefined });
    expect(stream.chunks).toBe(0);
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(onEnd.mock.calls[0]?.[0]).toStrictEqual({
      chunks: 0,
      durationMs: 0,
      outcome: 'released',
    });
  });

  it('answers a read waiting on the source at release() with done', async () => {
    const source = channel<number>();
    source.push(1);
    const stream = await guardStream(source.iterable, { idleMs: 100 });
    const iterator = stream[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    const waiting = iterator.next();
    await vi.advanceTimersByTimeAsync(10);
    stream.release();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(stream.chunks).toBe(1);
    expect(source.state.returned).toBe(1);
  });

  it('reports a completed end without an error field', async () => {
    const source = channel<number>();
    const ends: StreamEndReport[] = [];
    source.push(1);
    source.end();
    const stream = await guardStream(source.iterable, { onEnd: (e) => ends.push(e) });
    expect(await collect(stream)).toEqual([1]);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toStrictEqual({ chunks: 1, durationMs: 0, outcome: 'completed' });
  });

  it('yields chunks of any value, undefined and null included', async () => {
    const source = channel<unknown>();
    source.push(undefined, null, 0);
    source.end();
    expect(await collect(await guardStream(source.iterable))).toEqual([undefined, null, 0]);
  });

  it('rejects with the abort reason when the controller aborts just as the source ends', async () => {
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    // The source's end reaches the guard one microtask after the abort, as when the request is
    // aborted while its "done" is on its way.
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () =>
          ({
            // biome-ignore lint/suspicious/noThenProperty: a thenable, as any awaited value may be
            then(resolve: (result: IteratorResult<number>) => void) {
              resolve({ done: true, value: undefined });
              queueMicrotask(() => controller.abort(reason));
            },
          }) as unknown as Promise<IteratorResult<number>>,
      }),
    };
    await expect(guardStream(source, { controller })).rejects.toBe(reason);
  });

  it('leaves no listener on the controller once the stream has completed, been released or failed', async () => {
    const ends = ['completed', 'released', 'failed'] as const;
    for (const end of ends) {
      const controller = new AbortController();
      const source = channel<number>();
      source.push(1);
      const stream = await guardStream(source.iterable, { controller });
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      if (end === 'completed') source.end();
      if (end === 'failed') source.fail(new TypeError('terminated'));
      if (end === 'released') stream.release();
      await drain(stream);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    }
  });
});

describe('guardStream: the usage a stream reports', () => {
  async function* anthropicEvents() {
    yield { type: 'message_start', message: { usage: { input_tokens: 12, output_tokens: 1 } } };
    yield { type: 'content_block_delta', delta: { type: 'text_delta', text: 'Hi' } };
    yield { type: 'message_delta', usage: { output_tokens: 5 } };
    yield { type: 'message_stop' };
  }

  it("gives the stream's usage to onEnd, the chunks held before the first token included", async () => {
    const reports: StreamEndReport[] = [];
    const stream = await guardStream(anthropicEvents(), { onEnd: (r) => reports.push(r) });
    await collect(stream);
    expect(reports).toEqual([expect.objectContaining({ outcome: 'completed', usage: 17 })]);
  });

  it('reports no usage for a stream without any', async () => {
    async function* plain() {
      yield {
        object: 'chat.completion.chunk',
        choices: [{ delta: { content: 'x' }, finish_reason: 'stop' }],
      };
    }
    const reports: StreamEndReport[] = [];
    await collect(await guardStream(plain(), { onEnd: (r) => reports.push(r) }));
    expect(reports[0]?.usage).toBe(undefined);
  });
});
