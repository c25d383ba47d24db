import { TimeoutError } from '../errors/TimeoutError.js';

/**
 * Waits for what `start` returns, but no longer than the signal allows: rejects with the signal's
 * reason as soon as it aborts, or, when `idleMs` is given, with a `TimeoutError` of scope `idle`
 * after that many milliseconds. A result that comes later is ignored (a late rejection too). No
 * timer or listener is left behind once it settles. A synchronous throw of `start` rejects.
 */
export function raceSignal<T>(
  start: () => PromiseLike<T> | T,
  signal: AbortSignal,
  idleMs?: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      cleanup();
      reject(signal.reason);
    };
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    signal.addEventListener('abort', onAbort); // onAbort removes it
    if (idleMs !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        reject(new TimeoutError('idle', idleMs));
      }, idleMs);
    }
    new Promise<T>((settle) => settle(start())).then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}
