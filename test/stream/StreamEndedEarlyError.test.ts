import { describe, expect, it } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { StreamEndedEarlyError } from '../../src/stream/StreamEndedEarlyError.js';

describe('StreamEndedEarlyError', () => {
  it("has its name, message and Node's premature-close code, and classifies as a connection error", () => {
    const error = new StreamEndedEarlyError();
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StreamEndedEarlyError');
    expect(error.message).toBe('the stream ended before the end of the answer');
    expect(error.code).toBe('ERR_STREAM_PREMATURE_CLOSE');
    expect(String(error)).toBe(
      'StreamEndedEarlyError: the stream ended before the end of the answer',
    );
    expect(classifyOpenAIError(error)).toMatchObject({ kind: 'connection', retryable: true });
  });
});
