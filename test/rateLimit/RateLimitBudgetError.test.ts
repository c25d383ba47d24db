import { describe, expect, it } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { RateLimitBudgetError } from '../../src/rateLimit/RateLimitBudgetError.js';

describe('RateLimitBudgetError', () => {
  it('is a TypeError naming the cost and the budget', () => {
    const error = new RateLimitBudgetError(5000, 1000);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.name).toBe('RateLimitBudgetError');
    expect(String(error)).toBe(
      'RateLimitBudgetError: rateLimit: the call costs 5000 tokens, more than the whole budget of tokensPerMinute 1000; it could never be sent',
    );
    expect(error).toMatchObject({ tokens: 5000, tokensPerMinute: 1000 });
  });

  it('carries the marker another copy of the package classifies by', () => {
    const error = new RateLimitBudgetError(2, 1);
    expect(error.isLlmResilienceBudget).toBe(true);
    Object.defineProperty(error, 'name', { value: 'e' });
    expect(classifyOpenAIError(error).kind).toBe('bad_request');
  });
});
