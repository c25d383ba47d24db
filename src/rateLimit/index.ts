export { RateLimitBudgetError } from './RateLimitBudgetError.js';
export { RateLimitGate, type RateLimitGateEvent } from './RateLimitGate.js';
export {
  RATE_LIMIT_DEFAULTS,
  type RateLimitOptions,
  validateRateLimitOptions,
} from './rateLimitOptions.js';
