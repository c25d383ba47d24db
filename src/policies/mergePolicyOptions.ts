import { BREAKER_KIND_FIELDS, breakerKind } from '../pipeline/breakerKind.js';
import type { PolicyOptions } from '../pipeline/options.js';
import { isRetryBudgetStore } from '../pipeline/RetryBudget.js';
import { isPlainObject, refuse } from '../validate.js';

/**
 * One option of {@link PolicyOverrides}: a stage's options with every field optional (the rest
 * keep the preset's values); a function or any other value stays as it is.
 */
export type PartialStage<V> = V extends (...args: never[]) => unknown
  ? V
  : V extends object
    ? Partial<V>
    : V;

/**
 * Overrides for a preset: any option, each stage given in part (the rest keeps the preset's
 * values) or `false` to turn the stage off.
 */
export type PolicyOverrides<O extends object = PolicyOptions> = {
  [K in keyof O]?: PartialStage<Exclude<O[K], undefined>>;
};

/**
 * Whether `value` is a stage's options, whose fields merge: an object literal, not a retry
 * budget's store (an instance or a literal with `tryWithdraw`).
 */
function isOptions(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value) || isRetryBudgetStore(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function mergeStage(
  key: string,
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const merged = { ...base, ...override };
  if (key !== 'circuitBreaker') return merged;
  const kind = breakerKind(override);
  if (kind === undefined) return merged;
  const other = BREAKER_KIND_FIELDS[kind === 'consecutive' ? 'sampling' : 'consecutive'];
  for (const name of other) delete merged[name];
  return merged;
}

/**
 * Merges `overrides` onto a preset's `defaults`, stage by stage: a stage given as an object keeps
 * the preset's other fields of that stage, `false` turns the stage off, and any other option
 * (a class instance too, and a retry budget's store) replaces the preset's. Naming a circuit breaker of the other kind (`consecutiveFailures`, or
 * `failureRatio` / `minimumCalls` / `samplingMs`) drops the preset's breaker kind; naming fields
 * of both kinds throws the TypeError `createPolicy` throws for them. The rest is not validated
 * here; `createPolicy` does that (so unknown or bad overrides throw there).
 */
export function mergePolicyOptions<O extends object>(
  defaults: O,
  overrides: PolicyOverrides<O> = {},
): O {
  if (!isPlainObject(overrides)) refuse('overrides', 'an object', overrides);
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const base = merged[key];
    merged[key] = isOptions(value) && isOptions(base) ? mergeStage(key, base, value) : value;
  }
  return merged as O;
}
