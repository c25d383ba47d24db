import type {
  Event,
  IDefaultPolicyContext,
  IFailureEvent,
  IPolicy,
  ISuccessEvent,
} from 'cockatiel';
import type { PolicyEvents } from '../events.js';
import { CallOwner } from './CallOwner.js';
import { type CallRecord, callRecordOf } from './callRecord.js';
import type { CallWatcher } from './callWatchers.js';
import { Reporter, type ReportingOptions } from './reporter.js';

/** The function a stage runs: the stages inside it, then the request. */
export type StageFn<T, C = IDefaultPolicyContext> = (context: C) => PromiseLike<T> | T;

/**
 * The base of the package's stages: cockatiel policies (so `wrap()` composes them with each other
 * and with cockatiel's own) that find the call they serve from the signal they are given. A stage
 * that finds none (it is the outermost of the package's stages in a `wrap()`, or used alone)
 * owns the call: it makes its record, and its `onSuccess` / `onFailure` and `success` / `failure`
 * events report the call's outcome. Inside a call it reports only its own events.
 */
export abstract class PipelineStage<C extends IDefaultPolicyContext = IDefaultPolicyContext>
  implements IPolicy<C>
{
  declare readonly _altReturn: never;
  /** cockatiel's success event: fires once per call this stage owned that succeeded. */
  readonly onSuccess: Event<ISuccessEvent>;
  /** cockatiel's failure event: fires once per call this stage owned that failed for good. */
  readonly onFailure: Event<IFailureEvent>;
  /** Reports the stage's events. */
  protected readonly reporter: Reporter;
  private readonly owner: CallOwner;

  constructor(reporting: ReportingOptions) {
    this.reporter = new Reporter(reporting);
    this.owner = new CallOwner(this.reporter);
    this.onSuccess = this.owner.onSuccess;
    this.onFailure = this.owner.onFailure;
  }

  /** Carried in every event as `policy`. */
  get name(): string {
    return this.reporter.name;
  }

  /** The stage's typed event emitter: `stage.events.on('retry', (e) => ...)`. */
  get events(): PolicyEvents {
    return this.reporter.events;
  }

  /**
   * Watches every call this stage owns from now on (not those of a policy it is part of), from its start to its end ({@link CallWatcher}); returns a
   * function that stops watching. `llm-resilience/otel`'s `instrument` uses it for its spans.
   */
  watchCalls(watcher: CallWatcher): () => void {
    return this.owner.watch(watcher);
  }

  /** Runs `fn` through the stage, within the call `signal` belongs to (or a new one). */
  execute<T>(fn: (context: C) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    const record = callRecordOf(signal);
    if (record !== undefined) return this.run(fn, record);
    return this.owner.run((call) => this.run(fn, call), signal, undefined);
  }

  /** Runs `fn` through the stage for `call`, passing on `call.signal`. */
  protected abstract run<T>(fn: StageFn<T, C>, call: CallRecord): Promise<T>;
}

/** Calls `fn`, turning a synchronous throw into a rejection. */
export function invoke<C, T>(fn: (context: C) => PromiseLike<T> | T, context: C): Promise<T> {
  try {
    return Promise.resolve(fn(context));
  } catch (error) {
    return Promise.reject(error);
  }
}
