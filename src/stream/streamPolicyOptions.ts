import { checkStage, type PolicyOptions } from '../pipeline/options.js';
import {
  checkOrder,
  isPlainObject,
  limitOf,
  millisOrInfinity,
  refuse,
  refuseUnknown,
  type Schema,
} from '../validate.js';

/** The stream policy's timeouts (`timeout` of {@link StreamPolicyOptions}); each may be Infinity. */
export interface StreamTimeoutOptions {
  /**
   * The longest one attempt may take to deliver its first token, in ms: the request, the
   * response headers and the first chunk. It is then aborted and may be retried.
   */
  firstTokenMs?: number;
  /** The longest wait for each later chunk while the consumer reads, in ms; the stream then fails. */
  idleMs?: number;
  /** The longest the whole call may take, retries, waits and the whole stream included, in ms. */
  totalMs?: number;
}

/**
 * Options of a stream policy: those of `createPolicy`, except that `timeout` holds the stream's
 * timeouts (`firstTokenMs` takes the place of `attemptMs`) and that streams are not hedged (the
 * stream of an attempt that lost the race would already be the consumer's).
 */
export interface StreamPolicyOptions extends Omit<PolicyOptions, 'timeout' | 'hedge'> {
  /** The first-token, idle and total timeouts. Default: none. */
  timeout?: StreamTimeoutOptions | false;
}

/** Checked stream policy options, split into the pipeline's and the stream's own. */
export interface ResolvedStreamPolicyOptions {
  /** The options of the pipeline the first token is awaited in (no attempt timeout). */
  pipeline: PolicyOptions;
  /** Finite, or absent for no limit. */
  firstTokenMs?: number;
  /** Finite, or absent for no limit. */
  idleMs?: number;
}

const STREAM_TIMEOUT: Schema = {
  firstTokenMs: { check: millisOrInfinity(1), optional: true },
  idleMs: { check: millisOrInfinity(1), optional: true },
  totalMs: { check: millisOrInfinity(1), optional: true },
};

/**
 * Checks the stream's timeouts (a TypeError names the option and the value given: an unknown
 * name, a value that is not a duration > 0 or Infinity, `firstTokenMs` > `totalMs`, any `hedge`)
 * and splits the options into the pipeline's (checked by `createPolicy`) and the stream's own.
 */
export function resolveStreamPolicyOptions(options: unknown): ResolvedStreamPolicyOptions {
  if (!isPlainObject(options)) refuse('options', 'an object', options);
  const { timeout, ...rest } = options as StreamPolicyOptions;
  if ('hedge' in rest) {
    refuseUnknown('hedge', 'a stream policy option', 'streams are not hedged', rest.hedge);
  }
  const pipeline: PolicyOptions = rest;
  const resolved: ResolvedStreamPolicyOptions = { pipeline };
  if (timeout === undefined || timeout === false) return resolved;
  const { firstTokenMs, idleMs, totalMs } = checkStage(
    'timeout',
    timeout,
    STREAM_TIMEOUT,
  ) as StreamTimeoutOptions;
  if (firstTokenMs !== undefined && totalMs !== undefined) {
    checkOrder('timeout.firstTokenMs', firstTokenMs, 'timeout.totalMs', totalMs, 'low');
  }
  const first = limitOf(firstTokenMs);
  const idle = limitOf(idleMs);
  const total = limitOf(totalMs);
  if (first !== undefined) resolved.firstTokenMs = first;
  if (idle !== undefined) resolved.idleMs = idle;
  if (total !== undefined) pipeline.timeout = { totalMs: total };
  return resolved;
}
