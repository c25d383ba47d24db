export {
  GuardedStream,
  type GuardStreamOptions,
  guardStream,
  type StreamEndReport,
} from './guardStream.js';
export { isFirstOutput } from './isFirstOutput.js';
export { LlmStreamPolicy, type StreamFn } from './LlmStreamPolicy.js';
export { StreamEndedEarlyError } from './StreamEndedEarlyError.js';
export { StreamEventError } from './StreamEventError.js';
export { StreamInterruptedError } from './StreamInterruptedError.js';
export type {
  ChunkTestOptions,
  StreamPolicyOptions,
  StreamTimeoutOptions,
} from './streamPolicyOptions.js';
