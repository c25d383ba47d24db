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
 * When `timeoutMs` passes, the stage emits `timeout`, aborts the signal it hands on with a
 * `TimeoutError(scope, timeoutMs)` (so the request under way, a backoff sleep or a wait at the
 * rate-limit gate stop at once) and rejects with that error at once, whatever the function does
 * with the signal: the SDK's APIUserAbortError never surfaces for the toolkit's own timeouts.
 * When the call's signal aborts, it rejects with the signal's reason and clears its timer.
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
      const onAbort = (): void => {
        clearTimeout(timer);
        controller.abort(signal.reason); // a no-op for `total`: the call is already aborted
        reject(signal.reason);
      };
      const timer: ReturnType<typeof setTimeout> = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        const error = new TimeoutError(scope, timeoutMs);
        if (policy.events.listenerCount('timeout') > 0) {
          policy.events.emit('timeout', {
            policy: policy.name,
            scope,
            timeoutMs,
            attempt: call.attempt,
          });
        }
        controller.abort(error);
        reject(error);
      }, timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
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
          reject(error);
        },
      );
    });
  }
}
