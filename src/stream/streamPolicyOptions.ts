import { checkStage, type PolicyOptions } from '../pipeline/options.js';
import {
  aFunction,
  checkOrder,
  checkValue,
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
export interface StreamPolicyOptions
  extends Omit<PolicyOptions, 'timeout' | 'hedge'>,
    ChunkTestOptions {
  /** The first-token, idle and total timeouts. Default: none. */
  timeout?: StreamTimeoutOptions | false;
}

/** The tests a stream policy applies to chunks (`isFirstToken`, `isAnswerEnd`). */
export interface ChunkTestOptions<T = unknown> {
  /**
   * Which chunk is the first token, the one that commits the call. Default `isFirstOutput`: the
   * first chunk of model output in each known shape (OpenAI, Anthropic, Gemini, the AI SDK's
   * `fullStream`, Bedrock `ConverseStream`), any chunk of another shape.
   */
  isFirstToken?(chunk: T): boolean;
  /**
   * Which chunk ends the answer; with it, a stream that ends without one fails (before the first
   * token: a retried attempt; after it: a `StreamInterruptedError`). Default: the end chunk of
   * each known shape; a stream of another shape is taken as complete when it ends.
   */
  isAnswerEnd?(chunk: T): boolean;
}

/** Checks an optional chunk test: a TypeError names the option and the value unless a function. */
export function checkChunkTest(name: keyof ChunkTestOptions, value: unknown): void {
  if (value !== undefined) checkValue(name, value, aFunction);
}

/** Checked stream policy options, split into the pipeline's and the stream's own. */
export interface ResolvedStreamPolicyOptions extends ChunkTestOptions {
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
 * Checks the stream's timeouts and chunk tests (a TypeError names the option and the value given:
 * an unknown name, a value that is not a duration > 0 or Infinity, `firstTokenMs` > `totalMs`,
 * any `hedge`, an `isFirstToken` or `isAnswerEnd` that is not a function)
 * and splits the options into the pipeline's (checked by `createPolicy`) and the stream's own.
 */
export function resolveStreamPolicyOptions(options: unknown): ResolvedStreamPolicyOptions {
  if (!isPlainObject(options)) refuse('options', 'an object', options);
  const { timeout, isFirstToken, isAnswerEnd, ...rest } = options as StreamPolicyOptions;
  checkChunkTest('isFirstToken', isFirstToken);
  checkChunkTest('isAnswerEnd', isAnswerEnd);
  if ('hedge' in rest) {
    refuseUnknown('hedge', 'a stream policy option', 'streams are not hedged', rest.hedge);
  }
  const pipeline: PolicyOptions = rest;
  const resolved: ResolvedStreamPolicyOptions = { pipeline };
  if (isFirstToken !== undefined) resolved.isFirstToken = isFirstToken;
  if (isAnswerEnd !== undefined) resolved.isAnswerEnd = isAnswerEnd;
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
