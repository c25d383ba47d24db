import {
  aFunction,
  aString,
  checkObject,
  isPlainObject,
  millisOrInfinity,
  refuse,
  type Schema,
} from '../validate.js';
import type { FallbackPolicyOptions } from './LlmFallbackPolicy.js';

const isRoutePolicy = (v: unknown): string | undefined =>
  isPlainObject(v) &&
  typeof v.execute === 'function' &&
  typeof v.circuitState === 'string' &&
  typeof v.circuitHalfOpenAt === 'number'
    ? undefined
    : 'a policy of this package (createPolicy, a preset, createStreamPolicy)';

const ROUTE: Schema = {
  name: { check: aString },
  call: { check: aFunction },
  policy: { check: isRoutePolicy, optional: true },
  maxWaitMs: { check: millisOrInfinity(0), optional: true },
};

const FALLBACK: Schema = {
  name: { check: aString, optional: true },
  routes: {
    check: (v) => (Array.isArray(v) && v.length > 0 ? undefined : 'a non-empty array of routes'),
  },
  fallbackOn: { check: aFunction, optional: true },
  // Checked field by field below.
  timeout: { check: () => undefined, optional: true },
};

const TIMEOUT: Schema = { totalMs: { check: millisOrInfinity(1), optional: true } };

/**
 * Checks the options of a fallback policy (a TypeError names the option and the value given):
 * known fields, at least one route, each with a `name` (distinct) and a `call`, an optional
 * `policy` of this package and `maxWaitMs`; `fallbackOn` a function; `timeout.totalMs`.
 */
export function checkFallbackOptions(options: unknown): asserts options is FallbackPolicyOptions {
  const o = checkObject(options, FALLBACK, {
    path: 'options',
    noun: 'a fallback policy option',
    field: (key) => key,
  });
  if (o.timeout !== undefined) {
    checkObject(o.timeout, TIMEOUT, { path: 'timeout', noun: 'a fallback timeout option' });
  }
  const names = new Set<string>();
  (o.routes as unknown[]).forEach((route, index) => {
    const path = `routes[${index}]`;
    const r = checkObject(route, ROUTE, { path, noun: 'a route option' });
    if (names.has(r.name as string))
      refuse(`${path}.name`, 'distinct from the other routes', r.name);
    names.add(r.name as string);
  });
}
