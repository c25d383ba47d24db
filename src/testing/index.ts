/**
 * The test kit: `llm-resilience/testing` (Node only).
 * @module llm-resilience/testing
 */

export {
  type ChaosCommonOptions,
  type ChaosErrorOptions,
  type ChaosFault,
  type ChaosLatencyOptions,
  type ChaosOptions,
  ChaosPolicy,
  chaos,
} from './chaos.js';
export {
  type ErrorReplyOptions,
  errorReplyFor,
  HTTP_ERROR_KINDS,
  type HttpErrorKind,
} from './errorReplies.js';
export { type FakeOpenAI, type FakeOpenAIOptions, startFakeOpenAI } from './fakeOpenAI.js';
export type { RecordedRequest } from './recordedRequest.js';
export {
  DEFAULT_CONTENT,
  type DelayReply,
  type HangReply,
  type OkOptions,
  type OkReply,
  type RateLimitReplyOptions,
  type RawReply,
  type Reply,
  replies,
  type SlowBodyReply,
  type StatusReply,
  type StreamOptions,
  type StreamReply,
} from './replies.js';
export {
  type FailRandomlyOptions,
  type Schedule,
  schedules,
  type TokenBucketOptions,
} from './schedules.js';
export type { Script } from './script.js';
export * as sdkShapedErrors from './sdkShapedErrors.js';
export { seededRandom } from './seededRandom.js';
