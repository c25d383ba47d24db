/** A signal that never aborts: what a stage passes on when its caller gave none. */
export const neverAbortedSignal: AbortSignal = new AbortController().signal;

/** Whether `value` looks like an AbortSignal (works across realms and polyfills). */
export function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function'
  );
}

/**
 * Waits `ms` milliseconds. Rejects with the signal's reason as soon as `signal` aborts, and then
 * leaves neither the timer nor the abort listener behind.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer: ReturnType<typeof setTimeout> = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
