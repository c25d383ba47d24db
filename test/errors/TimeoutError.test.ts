import { describe, expect, it } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';

describe('TimeoutError', () => {
  it('names its scope and limit, and keeps a cause', () => {
    const cause = new Error('socket');
    const error = new TimeoutError('firstToken', 250, { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('firstToken timeout: no result within 250 ms');
    expect(error).toMatchObject({ name: 'TimeoutError', scope: 'firstToken', timeoutMs: 250 });
    expect(error.cause).toBe(cause);
  });

  it('carries the marker another copy of the package classifies by, even when renamed', () => {
    const error = new TimeoutError('idle', 10);
    expect(error.isLlmResilienceTimeout).toBe(true);
    // A bundler may rename the class and its name; the marker still makes it a timeout.
    Object.defineProperty(error, 'name', { value: 'e' });
    expect(classifyOpenAIError(error).kind).toBe('timeout');
  });
});
