export { type ClassifyOptions, classifyError } from './classifyError.js';
export { classifyOpenAIError } from './classifyOpenAIError.js';
export {
  ERROR_KINDS,
  ERROR_PROVIDERS,
  type ErrorClassification,
  type ErrorKind,
  type ErrorProvider,
} from './ErrorClassification.js';
export { ERROR_DECISIONS, type ErrorDecision } from './errorDecisions.js';
export {
  breakerOpenAIErrors,
  isBreakerOpenAIError,
  isRetryableOpenAIError,
  retryableOpenAIErrors,
} from './filters.js';
export { InvalidRequestError, type RequestProblem } from './InvalidRequestError.js';
export { MAX_RETRY_AFTER_MS, retryAfterMs } from './retryAfter.js';
export { TimeoutError, type TimeoutScope } from './TimeoutError.js';
export { validateChatRequest } from './validateChatRequest.js';
