export {
  CIRCUIT_STATE_VALUES,
  DURATION_BUCKETS_S,
  INSTRUMENTATION_SCOPE,
  type InstrumentablePolicy,
  type InstrumentOptions,
  instrument,
} from './instrument.js';
