import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';

describe('StreamInterruptedError', () => {
  it('quotes a timeout in full: it carries no request content', () => {
    const cause = new TimeoutError('idle', 200);
    const error = new StreamInterruptedError(3, cause);
    expect(error.message).toBe(
      'stream interrupted after 3 chunk(s): idle timeout: no result within 200 ms',
    );
    expect(error.name).toBe('StreamInterruptedError');
    expect(error.chunks).toBe(3);
    expect(error.cause).toBe(cause);
  });

  it("names any other error's class and its short message", () => {
    const cause = new TypeError('terminated');
    const error = new StreamInterruptedError(0, cause);
    expect(error.message).toBe('stream interrupted after 0 chunk(s): TypeError: terminated');
    expect(error.cause).toBe(cause);
    expect(new StreamInterruptedError(1, new Error('')).message).toBe(
      'stream interrupted after 1 chunk(s): Error',
    );
  });

  it('cuts the cause message to 200 characters and strips control characters and keys', () => {
    const cause = new Error(`line one\nkey sk-abcdefghijklmnop ${'x'.repeat(500)}`);
    const { message } = new StreamInterruptedError(2, cause);
    const quoted = message.slice('stream interrupted after 2 chunk(s): Error: '.length);
    expect(quoted.startsWith('line one key sk-[redacted] xxx')).toBe(true);
    expect(quoted.endsWith('…')).toBe(true);
    expect(message).not.toContain('\n');
    expect(message).not.toContain('abcdefghijklmnop');
    expect(message.length).toBeLessThan(260);
  });

  it('names the type of a cause that is not an Error (an abort reason the caller chose)', () => {
    expect(new StreamInterruptedError(1, 'user left').message).toBe(
      'stream interrupted after 1 chunk(s): string',
    );
    expect(new StreamInterruptedError(2, undefined).message).toBe(
      'stream interrupted after 2 chunk(s): undefined',
    );
    expect(new StreamInterruptedError(2, { name: 'TimeoutError', message: 'x' }).message).toBe(
      'stream interrupted after 2 chunk(s): object',
    );
  });
});
