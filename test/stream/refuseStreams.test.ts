import { describe, expect, it, vi } from 'vitest';
import { guardStream } from '../../src/stream/guardStream.js';
import { notAStreamError } from '../../src/stream/notAStreamError.js';
import { isUnguardedStream, refuseStreams } from '../../src/stream/refuseStreams.js';

const context = { signal: new AbortController().signal, attempt: 1 };

async function* generate() {
  yield 1;
}

describe('isUnguardedStream', () => {
  it('recognises SDK streams, ReadableStreams and async generators', () => {
    const sdkStream = { toReadableStream: () => {}, [Symbol.asyncIterator]: generate };
    expect(isUnguardedStream(sdkStream)).toBe(true);
    expect(isUnguardedStream(new ReadableStream())).toBe(true);
    expect(isUnguardedStream(generate())).toBe(true);
  });

  it('leaves a guarded stream, a page, a completion and plain values alone', async () => {
    expect(isUnguardedStream(await guardStream(generate()))).toBe(false);
    expect(isUnguardedStream({ getNextPage: () => {}, [Symbol.asyncIterator]: generate })).toBe(
      false,
    );
    expect(isUnguardedStream({ toReadableStream: () => {} })).toBe(false);
    expect(isUnguardedStream({ object: 'chat.completion' })).toBe(false);
    for (const value of [null, undefined, 'text', 3, () => {}]) {
      expect(isUnguardedStream(value)).toBe(false);
    }
  });
});

describe('refuseStreams', () => {
  it('passes other results through, sync or async, and a sync throw as it is', async () => {
    expect(refuseStreams(() => 'ok')(context)).toBe('ok');
    await expect(refuseStreams(() => Promise.resolve('ok'))(context)).resolves.toBe('ok');
    const boom = new Error('boom');
    expect(() =>
      refuseStreams(() => {
        throw boom;
      })(context),
    ).toThrow(boom);
  });

  it('closes a refused stream: its AbortController, its cancel() or its return()', async () => {
    const controller = new AbortController();
    const sdkStream = { controller, toReadableStream: () => {}, [Symbol.asyncIterator]: generate };
    expect(() => refuseStreams(() => sdkStream)(context)).toThrow(TypeError);
    expect(controller.signal.aborted).toBe(true);

    const cancel = vi.fn();
    const readable = new ReadableStream({ cancel });
    await expect(refuseStreams(() => Promise.resolve(readable))(context)).rejects.toThrow(
      /^got a stream, .*streamPolicy\.execute/,
    );
    await vi.waitFor(() => expect(cancel).toHaveBeenCalledTimes(1));

    const generator = generate();
    const returned = vi.spyOn(generator, 'return');
    expect(() => refuseStreams(() => generator)(context)).toThrow(TypeError);
    expect(returned).toHaveBeenCalledTimes(1);
  });

  it('swallows a rejected cancel(): the refusal is the only error', async () => {
    let cancels = 0;
    // Not a vi.fn: a mock handles the promises it returns, which would hide an unhandled one.
    const cancel = () => {
      cancels += 1;
      return Promise.reject(new Error('already closed'));
    };
    const stream = { getReader: () => {}, cancel, [Symbol.asyncIterator]: generate };
    expect(() => refuseStreams(() => stream)(context)).toThrow(/^got a stream/);
    expect(cancels).toBe(1);
    // An unhandled rejection would fail the run (test/setup/unhandled.ts).
    await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it('refuses even when closing the stream throws', () => {
    const stream = {
      getReader: () => {},
      cancel: () => {
        throw new Error('already closed');
      },
      [Symbol.asyncIterator]: generate,
    };
    expect(() => refuseStreams(() => stream)(context)).toThrow(/^got a stream/);
  });
});

describe('notAStreamError', () => {
  it('names a finished answer, or the value given', () => {
    expect(notAStreamError({ object: 'chat.completion' }).message).toBe(
      'got a chat completion, not a stream: did you forget `stream: true`?',
    );
    expect(notAStreamError({ object: 'response' }).message).toBe(
      'got a Responses API response, not a stream: did you forget `stream: true`?',
    );
    expect(notAStreamError({ object: 'toString' }).message).toBe(
      'source must be an AsyncIterable, got an object',
    );
    expect(notAStreamError(null).message).toBe('source must be an AsyncIterable, got null');
  });
});
