/**
 * The test kit: `llm-resilience/testing` (Node only).
 * @packageDocumentation
 */
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
export { seededRandom } from './seededRandom.js';
