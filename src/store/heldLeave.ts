import type { LeaveAnswer, LeaveReport, SharedRetryBudgetReport } from './PolicyStore.js';
import type { SharedState } from './SharedState.js';

/**
 * An attempt's way out, held for the retry stage outside while it decides on the attempt's
 * failure: a withdrawal from the policy's shared retry budget then rides with it, in the same
 * round trip (see `SharedRetryBudget`).
 */
export interface HeldLeave {
  /** Where it goes. */
  readonly shared: SharedState;
  /** Sends it, with the retry budget's part if given; the store's answer. */
  send(retryBudget?: SharedRetryBudgetReport): Promise<LeaveAnswer | undefined>;
}

/**
 * Sends an attempt's way out to `shared`, then hands the answer to `heard`; or, while the call's
 * retry stage holds its ways out (`held`), keeps it there for that stage to send. Never rejects.
 */
export function sendLeave(
  shared: SharedState,
  held: HeldLeave[] | undefined,
  report: LeaveReport,
  heard: (answer: LeaveAnswer) => void,
): void {
  const leave: HeldLeave = {
    shared,
    send: (retryBudget) =>
      shared
        .leave(retryBudget === undefined ? report : { ...report, retryBudget })
        .then((answer) => {
          if (answer !== undefined) heard(answer);
          return answer;
        }),
  };
  if (held === undefined) void leave.send();
  else held.push(leave);
}

/** Sends the ways out `held` kept, as they are. */
export function releaseLeaves(held: readonly HeldLeave[] | undefined): void {
  if (held === undefined) return;
  for (const leave of held) void leave.send();
}
