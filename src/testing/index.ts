/**
 * The test kit: `llm-resilience/testing` (Node only).
 * @module llm-resilience/testing
 */

export {
  type AnthropicErrorBody,
  type AnthropicErrorKind,
  anthropicErrorBody,
  anthropicErrorReply,
} from './anthropicErrorReplies.js';
export * as anthropicShapedErrors from './anthropicShapedErrors.js';
export {
  type BedrockErrorKind,
  bedrockErrorReply,
  bedrockExceptionReply,
} from './bedrockErrorReplies.js';
export {
  type ChaosCommonOptions,
  type ChaosErrorOptions,
  type ChaosFault,
  type ChaosLatencyOptions,
  type ChaosOptions,
  ChaosPolicy,
  type ChaosProvider,
  chaos,
} from './chaos.js';
export {
  ERROR_KINDS_BY_WIRE_FORMAT,
  type ErrorReplyOptions,
  errorReplyFor,
  HTTP_ERROR_KINDS,
  type HttpErrorKind,
  type WireFormat,
} from './errorReplies.js';
export { type FakeOpenAI, type FakeOpenAIOptions, startFakeOpenAI } from './fakeOpenAI.js';
export type { FakeRateLimitOptions } from './fakeRateLimits.js';
export {
  type GeminiErrorBody,
  type GeminiErrorKind,
  type GoogleErrorDetail,
  geminiErrorBody,
  geminiErrorReply,
} from './geminiErrorReplies.js';
export * as providerShapedErrors from './providerShapedErrors.js';
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
