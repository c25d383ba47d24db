import type { PolicyEvents } from './events.js';

/**
 * Where a pipeline stage reports: the policy's name (every event's `policy`) and its emitter.
 * Stages build an event's payload only when `events.listenerCount(name) > 0`.
 */
export interface PolicyScope {
  readonly name: string;
  readonly events: PolicyEvents;
}
