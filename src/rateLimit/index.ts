export { type FetchFunction, gateFetch } from './gateFetch.js';
export { RateLimitBudgetError } from './RateLimitBudgetError.js';
export { RateLimitGate, type RateLimitGateEvent } from './RateLimitGate.js';
export { RateLimitHoldError } from './RateLimitHoldError.js';
export {
  parseRateLimitHeaders,
  type ServerLimit,
  type ServerLimitKind,
  type ServerLimits,
} from './rateLimitHeaders.js';
export {
  RATE_LIMIT_DEFAULTS,
  type RateLimitOptions,
  validateRateLimitOptions,
} from './rateLimitOptions.js';
export {
  type CountTokens,
  countTokensByLength,
  estimateRequestTokens,
  type RequestTokens,
} from './requestTokens.js';
export type { SentRequest } from './serverBudget.js';
export { StreamUsage, usageTokensOf } from './usageTokens.js';
