import { describe, expect, it } from 'vitest';
import { networkErrorKind } from '../../src/errors/networkErrorKind.js';

const withCode = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('networkErrorKind', () => {
  it('tells timeout and connection codes apart', () => {
    expect(networkErrorKind(withCode('ETIMEDOUT'))).toBe('timeout');
    expect(networkErrorKind(withCode('UND_ERR_BODY_TIMEOUT'))).toBe('timeout');
    expect(networkErrorKind(withCode('ECONNRESET'))).toBe('connection');
    expect(networkErrorKind(withCode('ENETUNREACH'))).toBe('connection');
  });

  it('is undefined for other codes and for errors without one', () => {
    expect(networkErrorKind(withCode('ERR_INVALID_ARG_TYPE'))).toBeUndefined();
    expect(networkErrorKind(withCode('ENOENT'))).toBeUndefined();
    expect(networkErrorKind(new Error('boom'))).toBeUndefined();
    expect(networkErrorKind(undefined)).toBeUndefined();
  });

  it("reads undici's class from the name field as well as from the constructor", () => {
    expect(networkErrorKind({ name: 'HeadersTimeoutError', message: 'x' })).toBe('timeout');
    expect(networkErrorKind({ name: 'SocketError', message: 'x' })).toBe('connection');
    class BodyTimeoutError extends Error {}
    expect(networkErrorKind(new BodyTimeoutError('x'))).toBe('timeout');
    expect(networkErrorKind({ name: 'OtherError', message: 'x' })).toBeUndefined();
  });

  it('a fetch failure TypeError takes the kind of the first cause that tells', () => {
    const untold = new Error('no code here');
    expect(networkErrorKind(new TypeError('fetch failed', { cause: untold }))).toBe('connection');
    const deep = new Error('wrapper', { cause: withCode('UND_ERR_CONNECT_TIMEOUT') });
    expect(networkErrorKind(new TypeError('fetch failed', { cause: deep }))).toBe('timeout');
    expect(networkErrorKind(new TypeError('terminated', { cause: withCode('ECONNRESET') }))).toBe(
      'connection',
    );
  });

  it('only a TypeError with a fetch failure message counts', () => {
    expect(networkErrorKind(new TypeError('network error'))).toBe('connection');
    expect(networkErrorKind(new TypeError('NetworkError when attempting to fetch resource.'))).toBe(
      'connection',
    );
    expect(networkErrorKind(new Error('fetch failed', { cause: withCode('ETIMEDOUT') }))).toBe(
      undefined,
    );
    expect(networkErrorKind(new TypeError('Fetch failed'))).toBeUndefined();
    expect(networkErrorKind({ name: 'TypeError' })).toBeUndefined();
  });
});
