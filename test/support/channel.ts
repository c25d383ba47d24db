/**
 * A hand-made async iterable for stream tests: the test pushes chunks, ends it or fails it, and
 * it records how often it was read and returned. With `endOnAbort`, it ends silently when that
 * signal aborts, as the openai SDK's Stream does.
 */
export function channel<T>(options: { endOnAbort?: AbortSignal } = {}) {
  const queue: IteratorResult<T>[] = [];
  const failures: unknown[] = [];
  let waiting:
    | { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }
    | undefined;
  const state = { returned: 0, nextCalls: 0 };
  const deliver = () => {
    if (!waiting) return;
    const w = waiting;
    const failure = failures.shift();
    if (failure !== undefined) {
      waiting = undefined;
      w.reject(failure);
      return;
    }
    const item = queue.shift();
    if (item) {
      waiting = undefined;
      w.resolve(item);
    }
  };
  const end = () => {
    queue.push({ done: true, value: undefined });
    deliver();
  };
  options.endOnAbort?.addEventListener('abort', end, { once: true });
  const iterable: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        state.nextCalls += 1;
        return new Promise<IteratorResult<T>>((resolve, reject) => {
          waiting = { resolve, reject };
          deliver();
        });
      },
      return: () => {
        state.returned += 1;
        return Promise.resolve({ done: true, value: undefined });
      },
    }),
  };
  return {
    iterable,
    state,
    push: (...values: T[]) => {
      for (const value of values) queue.push({ done: false, value });
      deliver();
    },
    end,
    fail: (error: unknown) => {
      failures.push(error);
      deliver();
    },
  };
}

/** Reads `stream` to its end (or failure): the chunks seen and the error, if any. */
export async function drain<T>(
  stream: AsyncIterable<T>,
): Promise<{ chunks: T[]; error?: unknown }> {
  const chunks: T[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}
