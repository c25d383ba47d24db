export { ERROR_KINDS, type ErrorClassification, type ErrorKind } from './ErrorClassification.js';
export { TimeoutError, type TimeoutScope } from './TimeoutError.js';
