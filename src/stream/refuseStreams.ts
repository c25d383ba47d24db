import type { PolicyFn } from '../pipeline/LlmPolicy.js';
import { GuardedStream } from './guardStream.js';

/**
 * Whether `value` is a provider's stream left unguarded: an async iterable that is an SDK stream
 * (openai, Anthropic and Groq streams have `toReadableStream`), a `ReadableStream`, or an async
 * generator (Google GenAI's streams). A stream policy's {@link GuardedStream} is not; neither is a
 * page of a paginated list (async iterable over its items, but a finished answer).
 */
export function isUnguardedStream(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || value instanceof GuardedStream) return false;
  const stream = value as Record<PropertyKey, unknown>;
  if (typeof stream[Symbol.asyncIterator] !== 'function') return false;
  return (
    typeof stream.toReadableStream === 'function' ||
    typeof stream.getReader === 'function' ||
    Object.prototype.toString.call(value) === '[object AsyncGenerator]'
  );
}

/** Closes a refused stream's connection as far as its shape allows; never throws. */
function close(stream: Record<string, unknown>): void {
  const ignore = (): void => {};
  try {
    if (stream.controller instanceof AbortController) stream.controller.abort();
    else if (typeof stream.cancel === 'function') Promise.resolve(stream.cancel()).catch(ignore);
    else if (typeof stream.return === 'function') Promise.resolve(stream.return()).catch(ignore);
  } catch {
    // Closing is best effort: the refusal below is what the caller needs.
  }
}

function refuse<T>(value: T): T {
  if (!isUnguardedStream(value)) return value;
  close(value as Record<string, unknown>);
  throw new TypeError(
    'got a stream, which this policy would hand back unguarded (a stall or a dropped connection ' +
      'would hang or end it silently): run streamed calls with streamPolicy.execute, or ' +
      'createStreamPolicy(...) for one of your own',
  );
}

/**
 * `fn` refusing to return an unguarded stream (see {@link isUnguardedStream}): the stream is closed
 * and the attempt fails with a TypeError pointing to the stream policy, which is not retried.
 */
export function refuseStreams<T>(fn: PolicyFn<T>): PolicyFn<T> {
  return (context) => {
    const result = fn(context);
    if (typeof (result as PromiseLike<T> | null)?.then === 'function') {
      return Promise.resolve(result).then(refuse);
    }
    return refuse(result as T);
  };
}
