import { describe, expect, it } from 'vitest';
import {
  causeChain,
  constructorName,
  hasOwnField,
  isErrorLike,
  MAX_CAUSE_DEPTH,
  readCode,
  readField,
  readHeader,
  readHttpParts,
  readStatus,
  readString,
} from '../../src/errors/errorShape.js';

/** An object whose field `key` throws when read; every other field reads normally. */
const throwingField = (key: string, rest: object = {}) =>
  Object.defineProperty({ ...rest }, key, {
    enumerable: true,
    get() {
      throw new Error(`getter ${key}`);
    },
  });

/** A proxy whose every trap throws. */
const throwingProxy = new Proxy(
  {},
  {
    get() {
      throw new Error('get');
    },
    getOwnPropertyDescriptor() {
      throw new Error('gopd');
    },
    ownKeys() {
      throw new Error('keys');
    },
  },
);

const revoked = (() => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
})();

describe('readField', () => {
  it('reads fields of objects and functions', () => {
    expect(readField({ a: 1 }, 'a')).toBe(1);
    expect(
      readField(
        Object.assign(() => {}, { status: 500 }),
        'status',
      ),
    ).toBe(500);
  });

  it('reads nothing of primitives, not even their prototype fields', () => {
    expect(readField('text', 'length')).toBeUndefined();
    expect(readField(42, 'toFixed')).toBeUndefined();
    expect(readField(true, 'valueOf')).toBeUndefined();
    expect(readField(null, 'x')).toBeUndefined();
    expect(readField(undefined, 'x')).toBeUndefined();
  });

  it('gives undefined for a throwing getter or a revoked proxy', () => {
    expect(readField(throwingField('a', { b: 2 }), 'a')).toBeUndefined();
    expect(readField(throwingField('a', { b: 2 }), 'b')).toBe(2);
    expect(readField(revoked, 'a')).toBeUndefined();
  });
});

describe('readString and readCode', () => {
  it('readString keeps strings only', () => {
    expect(readString({ a: 'x' }, 'a')).toBe('x');
    expect(readString({ a: 1 }, 'a')).toBeUndefined();
  });

  it('readCode keeps strings and finite numbers as decimal text', () => {
    expect(readCode({ code: 'rate_limit_exceeded' }, 'code')).toBe('rate_limit_exceeded');
    expect(readCode({ code: 429 }, 'code')).toBe('429');
    expect(readCode({ code: 0 }, 'code')).toBe('0');
    for (const code of [Number.NaN, Number.POSITIVE_INFINITY, null, true, {}, ['429']]) {
      expect(readCode({ code }, 'code')).toBeUndefined();
    }
    expect(readCode({}, 'code')).toBeUndefined();
  });
});

describe('hasOwnField', () => {
  it('sees own fields of objects only', () => {
    expect(hasOwnField({ a: undefined }, 'a')).toBe(true);
    expect(hasOwnField(Object.create({ a: 1 }), 'a')).toBe(false);
    expect(hasOwnField('text', 'length')).toBe(false);
    expect(hasOwnField(5, 'x')).toBe(false);
    expect(hasOwnField(null, 'a')).toBe(false);
  });

  it('is false when the proxy trap throws', () => {
    expect(hasOwnField(throwingProxy, 'a')).toBe(false);
    expect(hasOwnField(revoked, 'a')).toBe(false);
  });
});

describe('constructorName', () => {
  it('names the class, or nothing', () => {
    class RateLimitError extends Error {}
    expect(constructorName(new RateLimitError())).toBe('RateLimitError');
    expect(constructorName(Object.create(null))).toBeUndefined();
    expect(constructorName(throwingField('constructor'))).toBeUndefined();
  });
});

describe('isErrorLike', () => {
  it('is true for errors of any class', () => {
    expect(isErrorLike(new Error('x'))).toBe(true);
    expect(isErrorLike(new TypeError('x'))).toBe(true);
  });

  it('is false for anything else, also for a message-carrying object', () => {
    for (const value of [{ message: 'x', name: 'Error' }, 'Error', 42, null, undefined, () => {}]) {
      expect(isErrorLike(value)).toBe(false);
    }
  });

  it('is false when reading the tag throws', () => {
    expect(isErrorLike(throwingProxy)).toBe(false);
    expect(isErrorLike(revoked)).toBe(false);
  });
});

describe('readStatus', () => {
  it('reads integers from 100 to 599, bounds included', () => {
    expect(readStatus({ status: 100 })).toBe(100);
    expect(readStatus({ status: 599 })).toBe(599);
    expect(readStatus({ status: 99 })).toBeUndefined();
    expect(readStatus({ status: 600 })).toBeUndefined();
    expect(readStatus({ status: 500.5 })).toBeUndefined();
    expect(readStatus({ status: '500' })).toBeUndefined();
  });

  it('falls back to statusCode when status is missing or invalid', () => {
    expect(readStatus({ statusCode: 429 })).toBe(429);
    expect(readStatus({ status: 'x', statusCode: 503 })).toBe(503);
    expect(readStatus({ status: 500, statusCode: 503 })).toBe(500);
    expect(readStatus({})).toBeUndefined();
  });
});

describe('readHeader', () => {
  it('reads WHATWG Headers, numbers and arrays', () => {
    expect(readHeader(new Headers({ 'Retry-After': '3' }), 'retry-after')).toBe('3');
    expect(readHeader(new Headers(), 'retry-after')).toBeUndefined();
    expect(readHeader({ 'retry-after': 3 }, 'retry-after')).toBe('3');
    expect(readHeader({ 'retry-after': ['4', '5'] }, 'retry-after')).toBe('4');
    expect(readHeader({ 'retry-after': Number.NaN }, 'retry-after')).toBeUndefined();
    expect(readHeader({ 'retry-after': { value: '3' } }, 'retry-after')).toBeUndefined();
    expect(readHeader({ 'retry-after': true }, 'retry-after')).toBeUndefined();
    expect(readHeader('retry-after: 3', 'retry-after')).toBeUndefined();
    expect(readHeader(null, 'retry-after')).toBeUndefined();
    // Response headers are objects: a function with such a field is none.
    expect(
      readHeader(
        Object.assign(() => {}, { 'retry-after': '3' }),
        'retry-after',
      ),
    ).toBe(undefined);
  });

  it('prefers the exact lower-case key of a record over other casings', () => {
    expect(readHeader({ 'Retry-After': '5', 'retry-after': '7' }, 'retry-after')).toBe('7');
  });

  it('finds a record key of any case, skipping keys of the same length', () => {
    expect(readHeader({ 'x-other-hdr': '1', 'Retry-After': '5' }, 'retry-after')).toBe('5');
    expect(readHeader({ 'x-other-hdr': '1' }, 'retry-after')).toBeUndefined();
    expect(readHeader({ 'RETRY-AFTER-MS': '1' }, 'retry-after')).toBeUndefined();
  });

  it('scans at most 200 keys of a record', () => {
    const record = (before: number) => {
      const headers: Record<string, string> = {};
      for (let i = 0; i < before; i++) headers[`x-filler-${i}`] = 'x';
      headers['Retry-After'] = '9';
      return headers;
    };
    expect(readHeader(record(199), 'retry-after')).toBe('9');
    expect(readHeader(record(200), 'retry-after')).toBeUndefined();
  });

  it('gives undefined when get(), the keys or an array value throw', () => {
    const throwingGet = {
      get() {
        throw new Error('get');
      },
    };
    expect(readHeader(throwingGet, 'retry-after')).toBeUndefined();
    // Reads of missing keys give undefined; listing the keys throws.
    const unlistable = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('keys');
        },
      },
    );
    expect(readHeader(unlistable, 'retry-after')).toBeUndefined();
    const hostileArray = new Proxy(['3'], {
      get(target, key) {
        if (key === '0') throw new Error('index');
        return Reflect.get(target, key);
      },
    });
    expect(readHeader({ 'retry-after': hostileArray }, 'retry-after')).toBeUndefined();
    expect(readHeader({ 'retry-after': revoked }, 'retry-after')).toBeUndefined();
  });
});

describe('readHttpParts', () => {
  it('reads every part of an SDK-shaped error', () => {
    const headers = new Headers({ 'x-request-id': 'req_h' });
    const payload = { message: 'slow down', code: 'rate_limit_exceeded', type: 'requests' };
    const error = { status: 429, headers, error: payload };
    expect(readHttpParts(error)).toStrictEqual({
      source: error,
      sdkShape: true,
      status: 429,
      headers,
      payload,
      code: 'rate_limit_exceeded',
      type: 'requests',
      requestId: 'req_h',
      serverMessage: 'slow down',
    });
  });

  it('leaves out every part that is missing', () => {
    const error = { status: 500 };
    expect(readHttpParts(error)).toStrictEqual({ source: error, sdkShape: false, status: 500 });
    const bare = { status: undefined, headers: undefined, error: undefined };
    expect(readHttpParts(bare)).toStrictEqual({ source: bare, sdkShape: true });
  });

  it('is the SDK shape only with all three own fields', () => {
    expect(readHttpParts({ status: 500, headers: {} })?.sdkShape).toBe(false);
    expect(readHttpParts({ status: 500, error: {} })?.sdkShape).toBe(false);
    expect(readHttpParts({ headers: {}, error: {} })).toBeUndefined();
    expect(readHttpParts({ error: { message: 'x' } })).toBeUndefined();
    expect(readHttpParts(Object.create({ status: 500, headers: {}, error: {} }))?.sdkShape).toBe(
      false,
    );
  });

  it('reads the body payload of the SDK shape only', () => {
    const loose = readHttpParts({ status: 500, error: { message: 'body' } });
    expect(loose?.payload).toBeUndefined();
    expect(loose?.serverMessage).toBeUndefined();
  });

  it('keeps headers and payload only when they are objects', () => {
    for (const junk of [null, 'text', 5]) {
      const parts = readHttpParts({ status: 500, headers: junk, error: junk });
      expect(parts).toStrictEqual({ source: expect.anything(), sdkShape: true, status: 500 });
    }
  });

  it('reads code, type, request id and message from the error itself first', () => {
    const error = {
      status: 400,
      headers: new Headers({ 'x-request-id': 'req_header' }),
      error: { code: 'body_code', type: 'body_type', message: 'body message' },
      code: 'own_code',
      type: 'own_type',
      requestID: 'req_own',
      message: 'own message',
    };
    expect(readHttpParts(error)).toMatchObject({
      code: 'own_code',
      type: 'own_type',
      requestId: 'req_own',
      // The body's text is the server's own; the error's message is the SDK's wording of it.
      serverMessage: 'body message',
    });
  });

  it('falls back field by field', () => {
    expect(readHttpParts({ status: 500, code: 503, message: 'own' })).toMatchObject({
      code: '503',
      serverMessage: 'own',
    });
    expect(readHttpParts({ status: 500, request_id: 'req_snake' })?.requestId).toBe('req_snake');
    expect(readHttpParts({ status: 500, requestID: 'req_a', request_id: 'req_b' })?.requestId).toBe(
      'req_a',
    );
    expect(
      readHttpParts({ status: 500, headers: { 'X-Request-Id': 'req_header' } })?.requestId,
    ).toBe('req_header');
  });

  it('carries nothing for non-objects and objects without HTTP details', () => {
    expect(readHttpParts(Object.assign(() => {}, { status: 500 }))).toBeUndefined();
    expect(readHttpParts(new Error('x'))).toBeUndefined();
    expect(readHttpParts(null)).toBeUndefined();
    expect(readHttpParts(500)).toBeUndefined();
  });
});

describe('causeChain', () => {
  it('is the error alone when it has no cause', () => {
    const error = new Error('a');
    expect(causeChain(error)).toEqual([error]);
    expect(causeChain(new Error('b', { cause: null }))).toHaveLength(1);
    expect(causeChain('text')).toEqual(['text']);
  });

  it(`follows at most ${MAX_CAUSE_DEPTH} links`, () => {
    const root = new Error('root');
    const one = new Error('1', { cause: root });
    const two = new Error('2', { cause: one });
    const three = new Error('3', { cause: two });
    const four = new Error('4', { cause: three });
    expect(causeChain(three)).toEqual([three, two, one, root]);
    expect(causeChain(four)).toEqual([four, three, two, one]);
  });

  it('stops at a cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(causeChain(a)).toEqual([a, b]);
    const self = new Error('self');
    Object.assign(self, { cause: self });
    expect(causeChain(self)).toEqual([self]);
  });

  it('keeps a non-error cause such as a string', () => {
    const error = new Error('a', { cause: 'ECONNRESET' });
    expect(causeChain(error)).toEqual([error, 'ECONNRESET']);
  });
});
