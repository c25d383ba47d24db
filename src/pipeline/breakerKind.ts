import { describeValue } from '../describeValue.js';

/** The two kinds of circuit breaker: one counting consecutive failures, one sampling a ratio. */
export type BreakerKind = 'consecutive' | 'sampling';

/** The fields that belong to each kind of circuit breaker (the half-open fields are shared). */
export const BREAKER_KIND_FIELDS: Readonly<Record<BreakerKind, readonly string[]>> = Object.freeze({
  consecutive: Object.freeze(['consecutiveFailures']),
  sampling: Object.freeze(['failureRatio', 'minimumCalls', 'samplingMs']),
});

/**
 * The kind of circuit breaker `options` names by its fields, or `undefined` when it names neither
 * (only the half-open fields). Throws a TypeError when it names fields of both kinds: the one
 * check behind `createPolicy` and the presets' overrides.
 */
export function breakerKind(options: Readonly<Record<string, unknown>>): BreakerKind | undefined {
  const names = (kind: BreakerKind): boolean =>
    BREAKER_KIND_FIELDS[kind].some((field) => options[field] !== undefined);
  const consecutive = names('consecutive');
  const sampling = names('sampling');
  if (consecutive && sampling) {
    throw new TypeError(
      `circuitBreaker.consecutiveFailures cannot be combined with failureRatio, minimumCalls and samplingMs, got ${describeValue(options.consecutiveFailures)}`,
    );
  }
  if (consecutive) return 'consecutive';
  return sampling ? 'sampling' : undefined;
}
