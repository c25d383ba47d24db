export {
  GuardedStream,
  type GuardStreamOptions,
  guardStream,
  type StreamEndReport,
} from './guardStream.js';
export { isFirstOutput } from './isFirstOutput.js';
export { StreamInterruptedError } from './StreamInterruptedError.js';
