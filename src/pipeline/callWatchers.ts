import type { ErrorClassification } from '../errors/ErrorClassification.js';

/** How one call ended, as a {@link CallWatch} is told. */
export interface CallOutcome {
  /** Attempts made, counting from 1 (routes tried, for a fallback policy); 0 when none began. */
  attempts: number;
  /** Why the call failed (for a stream: why the stream failed); absent when it succeeded. */
  reason?: ErrorClassification;
}

/** What a {@link CallWatcher} does for one call. */
export interface CallWatch {
  /**
   * Runs the call's work: call `work` once, at once, and return what it returns, e.g. inside a
   * tracing context so that what the call does (its events, the SDK's own spans) belongs to it.
   * Default: the work runs as is.
   */
  run?<T>(work: () => T): T;
  /**
   * The call is over: `execute` settled or, for a stream policy's call that succeeded, its stream
   * ended, failed or was released by the consumer. Called once.
   */
  end(outcome: CallOutcome): void;
}

/**
 * Watches every call of a policy from its start to its end (`policy.watchCalls(watcher)`):
 * `llm-resilience/otel` makes each call's span with one. `start` is called as a call starts, in
 * the caller's context (inside the watches of the watchers added before it). A watcher that
 * throws changes nothing of the call.
 */
export interface CallWatcher {
  /** A call starts: returns what to do for it. */
  start(): CallWatch;
}

/** The watchers of one policy's calls, in the order they were added. */
export class CallWatchers {
  private list: readonly CallWatcher[] = [];

  /** Whether nobody watches. */
  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Adds `watcher`; returns a function that removes it (once, whatever was added since). */
  add(watcher: CallWatcher): () => void {
    this.list = [...this.list, watcher];
    let added = true;
    return () => {
      if (!added) return;
      added = false;
      const list = [...this.list];
      list.splice(list.indexOf(watcher), 1);
      this.list = list;
    };
  }

  /**
   * Starts a watch of every watcher, each inside the ones before it, and runs `work` inside them
   * all; the watches started are pushed onto `watches`. Returns what `work` returned (it throws
   * what `work` threw).
   */
  start<T>(work: () => T, watches: CallWatch[]): T {
    const list = this.list;
    const step = (index: number): T => {
      const watcher = list[index];
      if (watcher === undefined) return work();
      const next = (): T => step(index + 1);
      let watch: CallWatch;
      try {
        watch = watcher.start();
      } catch {
        return next();
      }
      watches.push(watch);
      if (typeof watch.run !== 'function') return next();
      let ran: { value: T } | { error: unknown } | undefined;
      try {
        watch.run(() => {
          try {
            ran = { value: next() };
          } catch (error) {
            ran = { error };
          }
          if ('error' in ran) throw ran.error;
          return ran.value;
        });
      } catch {
        // The work's own throw is rethrown below; a watcher's is ignored.
      }
      // A watcher that did not run the work: the call runs anyway.
      const result = ran ?? { value: next() };
      if ('error' in result) throw result.error;
      return result.value;
    };
    return step(0);
  }

  /** Tells every watch of a call how it ended, the innermost first. */
  static end(watches: readonly CallWatch[], outcome: CallOutcome): void {
    for (let index = watches.length - 1; index >= 0; index--) {
      try {
        (watches[index] as CallWatch).end(outcome);
      } catch {
        // A watcher must never change what the policy does.
      }
    }
  }
}
