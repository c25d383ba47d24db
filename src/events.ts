import { EventEmitter } from 'eventemitter3';
import type { ErrorClassification } from './errors/ErrorClassification.js';
import type { TimeoutScope } from './errors/TimeoutError.js';

/** Why a call stopped retrying. */
export type GiveUpWhy =
  | 'not_retryable'
  | 'max_retries'
  | 'retry_after_too_long'
  | 'deadline'
  | 'wait_too_long'
  | 'retry_budget';

/** How a stream ended: read to the end, left early by the caller, or failed. */
export type StreamOutcome = 'completed' | 'released' | 'failed';

/**
 * Every event a policy emits, by name, with its payload. Each payload also carries `policy`,
 * the policy's name. Payloads are plain JSON-serialisable objects and never hold an API key,
 * an Authorization header or prompt content. `attempt` counts from 1.
 */
export interface PolicyEventMap {
  /** A failed attempt will be retried after `delayMs`. */
  retry: {
    /** The attempt that failed, counting from 1. */
    attempt: number;
    /**
     * The wait before the next attempt, in ms, whoever holds it: the backoff (jitter never below
     * the server's hint), the rate-limit gate closed after a 429, or the open breaker until it
     * half-opens.
     */
    delayMs: number;
    /** Why the attempt failed. */
    reason: ErrorClassification;
  };
  /**
   * An attempt was slow to answer: the hedging stage started attempt `attempt` beside it, after
   * `delayMs`.
   */
  hedge: {
    /** The attempt it started, counting from 1. */
    attempt: number;
    /** From the start of the round's first attempt to this one, in ms. */
    delayMs: number;
  };
  /** The call failed and will not be retried; `why` says what stopped it. */
  giveUp: {
    /** Attempts made, the failed last one included. */
    attempts: number;
    /** Why the last attempt failed. */
    reason: ErrorClassification;
    /** What stopped the retries. */
    why: GiveUpWhy;
  };
  /** One of the toolkit's timeouts fired. */
  timeout: {
    /** Which timeout fired. */
    scope: TimeoutScope;
    /** The limit that was exceeded, in ms. */
    timeoutMs: number;
    /** The attempt under way when it fired, counting from 1. */
    attempt: number;
  };
  /** The circuit breaker opened; `openMs` is how long it stays open before a trial call. */
  break: {
    /** The failure that opened it; absent when it was opened by hand (`isolate()`). */
    reason?: ErrorClassification;
    /**
     * How long it stays open before a trial call, in ms (never less than the server's wait
     * hint); absent when it was opened by hand.
     */
    openMs?: number;
  };
  /** The circuit breaker lets one trial call through. */
  halfOpen: Record<never, never>;
  /** The circuit breaker closed again. */
  reset: Record<never, never>;
  /** The bulkhead was full and rejected a call. */
  bulkheadReject: {
    /** Calls running when it rejected this one. */
    executing: number;
    /** Calls waiting for a slot when it rejected this one. */
    queued: number;
  };
  /**
   * An attempt of the retry stage ended: `reason` is present when it failed. Its time includes
   * any wait at the rate-limit gate, which `gateWait` reports apart.
   */
  attempt: {
    /** The attempt, counting from 1 (with hedging, the last one the round started). */
    attempt: number;
    /** From the start of the attempt to its answer or failure, in ms. */
    durationMs: number;
    /** Why it failed; absent when it succeeded. */
    reason?: ErrorClassification;
  };
  /** An attempt went through the rate-limit gate after waiting `waitMs` (0 when it was open). */
  gateWait: {
    /** The attempt, counting from 1. */
    attempt: number;
    /** How long the gate held it, in ms. */
    waitMs: number;
  };
  /** A call succeeded after `attempts` attempts. */
  success: {
    /** Attempts made, counting from 1. */
    attempts: number;
    /** From `execute` to the result, retries and waits included, in ms. */
    durationMs: number;
    /** The route that answered, for a fallback policy (whose `attempts` counts routes tried). */
    route?: string;
  };
  /** A call failed for good. */
  failure: {
    /**
     * Attempts made, counting from 1; 0 when the call failed before its first attempt (a signal
     * aborted already, a bulkhead rejection).
     */
    attempts: number;
    /** From `execute` to the failure, retries and waits included, in ms. */
    durationMs: number;
    /** Why the call failed (`aborted` when the caller aborted it). */
    reason: ErrorClassification;
    /** The last route tried, for a fallback policy (whose `attempts` counts routes tried). */
    route?: string;
  };
  /** A fallback policy moves on from route `from` to route `to`. */
  fallback: {
    /** The route left. */
    from: string;
    /** The route tried next. */
    to: string;
    /** Why `from` was left: its last failure, or its open circuit breaker (`aborted`). */
    reason: ErrorClassification;
  };
  /** The rate-limit gate closed after a 429; callers wait `waitMs` before the next request. */
  rateLimited: {
    /** How long the gate stays closed, in ms. */
    waitMs: number;
    /** The 429 that closed it. */
    reason: ErrorClassification;
  };
  /** The rate-limit gate's learned pace changed. */
  paced: {
    /** The new pace, in requests per second. */
    ratePerSec: number;
  };
  /** A stream delivered its first chunk. */
  firstToken: {
    /** The attempt that delivered it, counting from 1. */
    attempt: number;
    /** From `execute` to the first token, earlier attempts and waits included, in ms. */
    latencyMs: number;
  };
  /** A stream ended. */
  streamEnd: {
    /** Chunks the consumer received. */
    chunks: number;
    /** From `execute` to the end of the stream, in ms. */
    durationMs: number;
    /** How it ended: read to the end, released early, or failed. */
    outcome: StreamOutcome;
    /** What stopped a failed stream; present only when `outcome` is `failed`. */
    reason?: ErrorClassification;
  };
}

/** The name of a policy event. */
export type PolicyEventName = keyof PolicyEventMap;

/** The payload of event `K` as a listener receives it: the event's fields plus `policy`. */
export type PolicyEvent<K extends PolicyEventName> = PolicyEventMap[K] & {
  /** The name of the policy that emitted it (`PolicyOptions.name`). */
  policy: string;
};

/** The listener type of each event, by name: what {@link PolicyEvents} is typed with. */
export type PolicyEventListeners = {
  [K in PolicyEventName]: (event: PolicyEvent<K>) => void;
};

/**
 * A policy's typed event emitter (eventemitter3). A listener that throws cannot break the
 * policy: its error is ignored, the other listeners still run and the call's outcome is unchanged.
 */
export class PolicyEvents extends EventEmitter<PolicyEventListeners> {
  override emit<K extends PolicyEventName>(
    name: K,
    ...args: EventEmitter.ArgumentMap<PolicyEventListeners>[Extract<K, PolicyEventName>]
  ): boolean {
    const listeners = this.listeners(name);
    // As eventemitter3's own emit does: a `once` listener is removed before it runs.
    for (const listener of listeners) this.removeListener(name, listener, undefined, true);
    for (const listener of listeners) {
      try {
        (listener as (...a: typeof args) => void)(...args);
      } catch {
        // A logging listener must never change what the call does.
      }
    }
    return listeners.length > 0;
  }
}
