import type { EnterAnswer, LeaveAnswer, LeaveReport } from './PolicyStore.js';

/**
 * What the rate-limit gate shares with the breaker inside it for one attempt through a store:
 * the gate's way in asked for both, and its way out reports both in one round trip.
 */
export interface SharedAttempt {
  /** The way-in answer; `undefined` when the store was unavailable (in-process state). */
  readonly entry: EnterAnswer | undefined;
  /** Whether the way in asked the breaker too. */
  readonly breakerAsked: boolean;
  /** The breaker's outcome, set by the breaker stage for the way out. */
  breaker: LeaveReport['breaker'];
  /** Given the way-out answer (the breaker's events). */
  onLeft: ((answer: LeaveAnswer) => void) | undefined;
}
