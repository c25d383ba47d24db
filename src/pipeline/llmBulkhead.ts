import { BulkheadRejectedError, type IDefaultPolicyContext } from 'cockatiel';
import { holdOf } from './callState.js';
import type { BulkheadOptions } from './options.js';
import { PipelineStage } from './pipelineStage.js';
import type { PolicyScope } from './policyScope.js';
import { neverAbortedSignal } from './signals.js';

interface Queued {
  readonly start: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * The bulkhead stage: at most `maxConcurrent` calls run at once and `maxQueued` wait in order for
 * a slot; beyond that a call is rejected at once with cockatiel's BulkheadRejectedError and a
 * `bulkheadReject` event. Unlike cockatiel's own bulkhead, a queued call whose signal aborts
 * leaves the queue and rejects with the signal's reason right away.
 */
export class BulkheadStage extends PipelineStage {
  private executing = 0;
  private readonly queue: Queued[] = [];

  constructor(
    private readonly options: BulkheadOptions,
    private readonly scope: PolicyScope,
  ) {
    super();
  }

  execute<T>(
    fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T,
    signal: AbortSignal = neverAbortedSignal,
  ): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.executing < this.options.maxConcurrent) return this.run(fn, signal);
    if (this.queue.length < this.options.maxQueued) {
      return new Promise<T>((resolve, reject) => {
        const entry: Queued = {
          start: () => this.run(fn, signal).then(resolve, reject),
          reject,
          signal,
          onAbort: () => this.leave(entry),
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
        this.queue.push(entry);
      });
    }
    const { events, name } = this.scope;
    if (events.listenerCount('bulkheadReject') > 0) {
      events.emit('bulkheadReject', {
        policy: name,
        executing: this.executing,
        queued: this.queue.length,
      });
    }
    return Promise.reject(
      new BulkheadRejectedError(this.options.maxConcurrent, this.options.maxQueued),
    );
  }

  private async run<T>(
    fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T,
    signal: AbortSignal,
  ): Promise<T> {
    this.executing++;
    let value: T;
    try {
      value = await fn({ signal });
    } catch (error) {
      this.release();
      throw error;
    }
    const hold = holdOf(signal);
    if (hold === undefined) this.release();
    else hold.then(this.release, this.release);
    return value;
  }

  private readonly release = (): void => {
    this.executing--;
    const next = this.queue.shift();
    if (next !== undefined) {
      next.signal.removeEventListener('abort', next.onAbort);
      next.start();
    }
  };

  private leave(entry: Queued): void {
    // Still queued: start() removes the listener before the entry leaves the queue.
    this.queue.splice(this.queue.indexOf(entry), 1);
    entry.reject(entry.signal.reason);
  }
}
