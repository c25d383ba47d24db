import { BulkheadRejectedError } from 'cockatiel';
import type { CallRecord } from './callRecord.js';
import { type BulkheadOptions, checkBulkheadOptions } from './options.js';
import { PipelineStage, type StageFn } from './PipelineStage.js';
import { checkReporting, type ReportingOptions, withoutReporting } from './reporter.js';

interface Queued {
  readonly start: () => void;
  readonly reject: (reason: unknown) => void;
  readonly call: CallRecord;
  readonly onAbort: () => void;
}

/** Options of {@link llmBulkhead}: `maxQueued` defaults to 0, as cockatiel's `bulkhead`. */
export type LlmBulkheadOptions = Pick<BulkheadOptions, 'maxConcurrent'> &
  Partial<Pick<BulkheadOptions, 'maxQueued'>> &
  ReportingOptions;

/**
 * The bulkhead stage ({@link llmBulkhead}): at most `maxConcurrent` calls run at once and
 * `maxQueued` wait in order for a slot; beyond that a call is rejected at once with cockatiel's
 * BulkheadRejectedError and a `bulkheadReject` event. Unlike cockatiel's own bulkhead, a queued
 * call whose signal aborts leaves the queue and rejects with the signal's reason right away, and
 * a call that resolved with a stream keeps its slot until the stream has ended.
 */
export class LlmBulkheadPolicy extends PipelineStage {
  private readonly options: BulkheadOptions;
  private executing = 0;
  private readonly queue: Queued[] = [];

  constructor(options: LlmBulkheadOptions) {
    super(checkReporting('bulkhead', options));
    this.options = checkBulkheadOptions({ maxQueued: 0, ...withoutReporting(options) });
  }

  protected run<T>(fn: StageFn<T>, call: CallRecord): Promise<T> {
    if (call.aborted) return Promise.reject(call.reason);
    const { maxConcurrent, maxQueued } = this.options;
    if (this.executing < maxConcurrent) return this.start(fn, call);
    if (this.queue.length < maxQueued) {
      return new Promise<T>((resolve, reject) => {
        const entry: Queued = {
          start: () => this.start(fn, call).then(resolve, reject),
          reject,
          call,
          onAbort: () => this.leave(entry),
        };
        call.onAbort(entry.onAbort);
        this.queue.push(entry);
      });
    }
    const executing = this.executing;
    const queued = this.queue.length;
    this.reporter.report('bulkheadReject', () => ({ executing, queued }));
    return Promise.reject(new BulkheadRejectedError(maxConcurrent, maxQueued));
  }

  private async start<T>(fn: StageFn<T>, call: CallRecord): Promise<T> {
    this.executing++;
    let value: T;
    try {
      value = await fn({ signal: call.signal });
    } catch (error) {
      this.release();
      throw error;
    }
    const hold = call.holdUntil;
    if (hold === undefined) this.release();
    else hold.then(this.release, this.release);
    return value;
  }

  private readonly release = (): void => {
    this.executing--;
    const next = this.queue.shift();
    if (next !== undefined) {
      next.call.offAbort(next.onAbort);
      next.start();
    }
  };

  private leave(entry: Queued): void {
    // Still queued: start() removes the listener before the entry leaves the queue.
    this.queue.splice(this.queue.indexOf(entry), 1);
    entry.reject(entry.call.reason);
  }
}

/**
 * The bulkhead stage as a cockatiel policy, for your own `wrap()` (see {@link LlmBulkheadPolicy}):
 * `llmBulkhead({ maxConcurrent: 10, maxQueued: 100 })`; `maxQueued` defaults to 0. Throws a
 * TypeError naming a bad option and its value.
 */
export function llmBulkhead(options: LlmBulkheadOptions): LlmBulkheadPolicy {
  return new LlmBulkheadPolicy(options);
}
