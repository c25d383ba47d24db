import type { EnterAnswer, LeaveAnswer } from '../../src/store/PolicyStore.js';

/** A store's answer on the way in: breaker closed, no wait, no closure, no pace. */
export const CLOSED: EnterAnswer = {
  at: 1,
  breaker: 'closed',
  breakerForMs: 0,
  waitMs: 0,
  closedForMs: 0,
  paceRatePerSec: 0,
  refused: false,
};

/** A store's answer on the way out: nothing changed, no closure, no pace. */
export const LEFT: LeaveAnswer = { breaker: undefined, closedForMs: 0, paceRatePerSec: 0 };
