import { percentile } from './stats.js';
import type { CallRecord, Trial } from './trial.js';

/** The share of calls (0..1) that ended `ok`, among `calls` (default: all of the trial's). */
export function successRate(trial: Trial, calls: readonly CallRecord[] = trial.calls): number {
  return calls.length === 0 ? 0 : calls.filter((c) => c.outcome === 'ok').length / calls.length;
}

/** How many calls were still pending at the bound. */
export function pendingCalls(trial: Trial): number {
  return trial.calls.filter((c) => c.outcome === 'pending').length;
}

/**
 * Requests the server saw per call, over the calls `include` selects (default: all): each request
 * is attributed to the call that sent it, so a selection counts exactly its own calls' requests.
 */
export function requestsPerCall(
  trial: Trial,
  include: (call: CallRecord) => boolean = () => true,
): number {
  const chosen = new Set(trial.calls.filter(include).map((c) => c.index));
  if (chosen.size === 0) return 0;
  const sent = trial.requests.filter((r) => r.call !== undefined && chosen.has(r.call)).length;
  return sent / chosen.size;
}

/** The fewest and the most requests any one call sent. */
export function requestsPerCallRange(trial: Trial): { min: number; max: number } {
  const perCall = new Map<number, number>(trial.calls.map((c) => [c.index, 0]));
  for (const request of trial.requests) {
    if (request.call !== undefined) perCall.set(request.call, (perCall.get(request.call) ?? 0) + 1);
  }
  const counts = [...perCall.values()];
  return { min: Math.min(...counts), max: Math.max(...counts) };
}

/** The p-th percentile of the calls' time to outcome (settled minus offered, ms). */
export function latency(trial: Trial, p: number): number {
  return (
    percentile(
      trial.calls.map((c) => c.settledMs - c.offeredMs),
      p,
    ) ?? Number.NaN
  );
}

/** From the first call offered to the last call settled, ms. */
export function makespan(trial: Trial): number {
  const first = Math.min(...trial.calls.map((c) => c.offeredMs));
  return Math.max(...trial.calls.map((c) => c.settledMs)) - first;
}

/** How many requests reached the server in [fromMs, toMs) of its clock. */
export function requestsBetween(trial: Trial, fromMs: number, toMs: number): number {
  return trial.requests.filter((r) => r.timeMs >= fromMs && r.timeMs < toMs).length;
}
