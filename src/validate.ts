import { describeValue } from './describeValue.js';
import { isFiniteNumber } from './isFiniteNumber.js';

/**
 * The package's one way to check options and arguments: a check returns what a value must be
 * (`'an integer >= 1'`) when it is not, and `undefined` when it is fine; {@link refuse} turns
 * that into the TypeError every check throws, `<path> must be <expected>, got <value>`.
 */
export type Check = (value: unknown) => string | undefined;

/** A check per field of an options object; an `optional` field may be left out. */
export type Schema = Record<string, { readonly check: Check; readonly optional?: boolean }>;

/** How a value is shown in a message: {@link describeValue} unless the caller says otherwise. */
export type Show = (value: unknown) => string;

/** The longest delay `setTimeout` can wait (about 24.8 days); longer ones would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Throws the TypeError `<path> must be <expected>, got <value shown>`. */
export function refuse(
  path: string,
  expected: string,
  value: unknown,
  show: Show = describeValue,
): never {
  throw new TypeError(`${path} must be ${expected}, got ${show(value)}`);
}

/** Refuses `value` at `path` unless `check` accepts it. */
export function checkValue(path: string, value: unknown, check: Check, show?: Show): void {
  const expected = check(value);
  if (expected !== undefined) refuse(path, expected, value, show);
}

/** Throws the TypeError `<field> is not <noun> (<why>), got <value>` for an unknown option. */
export function refuseUnknown(field: string, noun: string, why: string, value: unknown): never {
  throw new TypeError(`${field} is not ${noun} (${why}), got ${describeValue(value)}`);
}

/** Refuses what the function at `path` returned unless `check` accepts it. */
export function checkResult(path: string, value: unknown, check: Check): void {
  const expected = check(value);
  if (expected !== undefined) {
    throw new TypeError(`${path} must return ${expected}, got ${describeValue(value)}`);
  }
}

/** Whether `value` is an object that is neither null nor an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How {@link checkObject} names things in its messages. */
export interface ObjectNaming {
  /** The path of the object, e.g. `retry`, or `options` for top-level options. */
  readonly path: string;
  /** What the object must be when it is not an object. Default `'an object'`. */
  readonly expected?: string;
  /** What an unknown key is not, e.g. `'a retry option'`. */
  readonly noun: string;
  /** The path of a field. Default `<path>.<key>`. */
  readonly field?: (key: string) => string;
}

/**
 * Checks an options object against `schema`: an object (or a TypeError saying what it must be),
 * no unknown key (`<field> is not <noun> (known: ...), got <value>`), every field accepted by its
 * check (a field left out or `undefined` only when optional). Returns the object unchanged.
 */
export function checkObject(
  value: unknown,
  schema: Schema,
  naming: ObjectNaming,
): Record<string, unknown> {
  const { path, expected = 'an object', noun } = naming;
  const field = naming.field ?? ((key: string) => `${path}.${key}`);
  if (!isPlainObject(value)) refuse(path, expected, value);
  for (const [key, given] of Object.entries(value)) {
    if (!Object.hasOwn(schema, key)) {
      refuseUnknown(field(key), noun, `known: ${Object.keys(schema).join(', ')}`, given);
    }
  }
  for (const [key, { check, optional }] of Object.entries(schema)) {
    const given = value[key];
    if (given === undefined && optional === true) continue;
    checkValue(field(key), given, check);
  }
  return value;
}

/** Throws unless `low <= high`, naming `blamed`: the option whose value is reported. */
export function checkOrder(
  lowPath: string,
  low: number,
  highPath: string,
  high: number,
  blamed: 'low' | 'high',
): void {
  if (low <= high) return;
  throw new TypeError(
    blamed === 'high'
      ? `${highPath} must be >= ${lowPath} (${low}), got ${high}`
      : `${lowPath} must be <= ${highPath} (${high}), got ${low}`,
  );
}

/** A limit in ms as the stages use it: `undefined` when it sets none (left out, or Infinity). */
export function limitOf(ms: number | undefined): number | undefined {
  return ms === Number.POSITIVE_INFINITY ? undefined : ms;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);

/** An integer >= `min`. */
export const count =
  (min: number): Check =>
  (v) =>
    isNumber(v) && Number.isInteger(v) && v >= min ? undefined : `an integer >= ${min}`;
/** An integer >= `min`, or Infinity. */
export const countOrInfinity =
  (min: number): Check =>
  (v) =>
    v === Number.POSITIVE_INFINITY || count(min)(v) === undefined
      ? undefined
      : `an integer >= ${min} or Infinity`;
/** A duration in ms of at least `min` (0, or above 0 for 1), up to {@link MAX_TIMER_MS}. */
export const millis =
  (min: number): Check =>
  (v) =>
    isNumber(v) && v >= min && v <= MAX_TIMER_MS
      ? undefined
      : `a number of milliseconds ${min === 0 ? '>= 0' : '> 0'} and <= ${MAX_TIMER_MS}`;
/** A duration as {@link millis} checks it, or Infinity (no limit). */
export const millisOrInfinity =
  (min: number): Check =>
  (v) =>
    v === Number.POSITIVE_INFINITY || millis(min)(v) === undefined
      ? undefined
      : `a number of milliseconds ${min === 0 ? '>= 0' : '> 0'}, or Infinity`;
/** A number strictly between 0 and 1. */
export const ratio: Check = (v) =>
  isNumber(v) && v > 0 && v < 1 ? undefined : 'a number between 0 and 1 (exclusive)';
/** A number in (0, 1]. */
export const fraction: Check = (v) =>
  typeof v === 'number' && v > 0 && v <= 1 ? undefined : 'a number in (0, 1]';
/** A finite number > 0. */
export const positive: Check = (v) =>
  isFiniteNumber(v) && v > 0 ? undefined : 'a finite number > 0';
/** A finite number >= 0. */
export const atLeastZero: Check = (v) =>
  isFiniteNumber(v) && v >= 0 ? undefined : 'a finite number >= 0';
/** A function. */
export const aFunction: Check = (v) => (typeof v === 'function' ? undefined : 'a function');
/** A string. */
export const aString: Check = (v) => (typeof v === 'string' ? undefined : 'a string');
