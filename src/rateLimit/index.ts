export { RateLimitBudgetError } from './RateLimitBudgetError.js';
export { RateLimitGate, type RateLimitGateEvent } from './RateLimitGate.js';
export { RateLimitHoldError } from './RateLimitHoldError.js';
export {
  RATE_LIMIT_DEFAULTS,
  type RateLimitOptions,
  validateRateLimitOptions,
} from './rateLimitOptions.js';
