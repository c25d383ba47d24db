export {
  GuardedStream,
  type GuardStreamOptions,
  guardStream,
  type StreamEndReport,
} from './guardStream.js';
export { StreamInterruptedError } from './StreamInterruptedError.js';
