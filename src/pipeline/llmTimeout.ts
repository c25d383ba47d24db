import type { IDefaultPolicyContext } from 'cockatiel';
import { callStateOf } from './callState.js';
import { TimeoutError } from './errors/TimeoutError.js';
import { invoke, PipelineStage } from './pipelineStage.js';
import type { PolicyScope } from './policyScope.js';
import { neverAbortedSignal } from './signals.js';

/**
 * A timeout stage. `total` bounds the whole call, retries and waits included, and sets the call's
 * deadline (the retry stage reads it to not start a retry it could not finish); `attempt`,
 * innermost, bounds each attempt and gives it a signal of its own.
 *
 * When `timeoutMs` passes, the stage emits `timeout` and aborts the signal it hands on with a
 * `TimeoutError(scope, timeoutMs)`, so the request under way, a backoff sleep or a wait at the
 * rate-limit gate stop at once, and it rejects with that error (never the SDK's
 * APIUserAbortError). An attempt rejects at once, whatever the function does with its signal, so
 * the retry stage can go on; the total timeout aborts the call, which `execute` rejects at once,
 * and settles itself when the work inside has stopped. When the call aborts, the stage clears its
 * timer and aborts the attempt's signal.
 */
export class TimeoutStage extends PipelineStage {
  constructor(
    private readonly scope: 'attempt' | 'total',
    private readonly timeoutMs: number,
    private readonly policy: PolicyScope,
  ) {
    super();
  }

  execute<T>(
    fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T,
    signal: AbortSignal = neverAbortedSignal,
  ): Promise<T> {
    const call = callStateOf(signal);
    if (signal.aborted) return Promise.reject(signal.reason);
    const { scope, timeoutMs, policy } = this;
    // `total` aborts the call itself; `attempt` gives the attempt a signal of its own.
    let controller: { readonly signal: AbortSignal; abort(reason: unknown): void } = call;
    if (scope === 'total') call.deadline = Date.now() + timeoutMs;
    else controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      let timedOut: TimeoutError | undefined;
      // The call aborted (the caller, or the total timeout): `execute` has already rejected; stop
      // the attempt and let it settle, so the bulkhead slot is held until the work has stopped.
      const onAbort = (): void => {
        clearTimeout(timer);
        controller.abort(signal.reason); // a no-op for `total`: its controller is the call
      };
      const timer: ReturnType<typeof setTimeout> = setTimeout(() => {
        call.removeEventListener('abort', onAbort);
        timedOut = new TimeoutError(scope, timeoutMs);
        if (policy.events.listenerCount('timeout') > 0) {
          policy.events.emit('timeout', {
            policy: policy.name,
            scope,
            timeoutMs,
            attempt: call.attempt,
          });
        }
        controller.abort(timedOut);
        // An attempt ends now, whatever the function does, so that the retry stage can go on.
        if (scope === 'attempt') reject(timedOut);
      }, timeoutMs);
      call.addEventListener('abort', onAbort); // a call's listeners run once
      const settle = (): void => {
        clearTimeout(timer);
        call.removeEventListener('abort', onAbort);
      };
      invoke(fn, { signal: controller.signal }).then(
        (value) => {
          const hold = scope === 'total' ? call.holdUntil : undefined;
          if (hold === undefined) settle();
          else hold.then(settle, settle);
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(timedOut ?? error);
        },
      );
    });
  }
}
