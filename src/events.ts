import { EventEmitter } from 'eventemitter3';
import type { ErrorClassification } from './errors/ErrorClassification.js';
import type { TimeoutScope } from './errors/TimeoutError.js';

/** Why a call stopped retrying. */
export type GiveUpWhy = 'not_retryable' | 'max_retries' | 'retry_after_too_long' | 'deadline';

/** How a stream ended: read to the end, left early by the caller, or failed. */
export type StreamOutcome = 'completed' | 'released' | 'failed';

/**
 * Every event a policy emits, by name, with its payload. Each payload also carries `policy`,
 * the policy's name. Payloads are plain JSON-serialisable objects and never hold an API key,
 * an Authorization header or prompt content. `attempt` counts from 1.
 */
export interface PolicyEventMap {
  /** A failed attempt will be retried after `delayMs`. */
  retry: { attempt: number; delayMs: number; reason: ErrorClassification };
  /** The call failed and will not be retried; `why` says what stopped it. */
  giveUp: { attempts: number; reason: ErrorClassification; why: GiveUpWhy };
  /** One of the toolkit's timeouts fired. */
  timeout: { scope: TimeoutScope; timeoutMs: number; attempt: number };
  /** The circuit breaker opened; `openMs` is how long it stays open before a trial call. */
  break: { reason?: ErrorClassification; openMs?: number };
  /** The circuit breaker lets one trial call through. */
  halfOpen: Record<never, never>;
  /** The circuit breaker closed again. */
  reset: Record<never, never>;
  /** The bulkhead was full and rejected a call. */
  bulkheadReject: { executing: number; queued: number };
  /** A call succeeded after `attempts` attempts. */
  success: { attempts: number; durationMs: number };
  /** A call failed for good. */
  failure: { attempts: number; durationMs: number; reason: ErrorClassification };
  /** The rate-limit gate closed after a 429; callers wait `waitMs` before the next request. */
  rateLimited: { waitMs: number; reason: ErrorClassification };
  /** The rate-limit gate's learned pace changed. */
  paced: { ratePerSec: number };
  /** A stream delivered its first chunk. */
  firstToken: { attempt: number; latencyMs: number };
  /** A stream ended. */
  streamEnd: {
    chunks: number;
    durationMs: number;
    outcome: StreamOutcome;
    reason?: ErrorClassification;
  };
}

/** The name of a policy event. */
export type PolicyEventName = keyof PolicyEventMap;

/** The payload of event `K` as a listener receives it: the event's fields plus `policy`. */
export type PolicyEvent<K extends PolicyEventName> = PolicyEventMap[K] & { policy: string };

type Listeners = { [K in PolicyEventName]: (event: PolicyEvent<K>) => void };

/**
 * A policy's typed event emitter (eventemitter3). A listener that throws cannot break the
 * policy: its error is ignored, the other listeners still run and the call's outcome is unchanged.
 */
export class PolicyEvents extends EventEmitter<Listeners> {
  override emit<K extends PolicyEventName>(
    name: K,
    ...args: EventEmitter.ArgumentMap<Listeners>[Extract<K, PolicyEventName>]
  ): boolean {
    const listeners = this.listeners(name);
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
