import fc from 'fast-check';
import { APIError } from 'openai-v4';
import { describe, expect, it } from 'vitest';
import {
  classifyOpenAIError,
  ERROR_KINDS,
  type ErrorClassification,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
} from '../../src/errors/index.js';
import { numRuns } from './numRuns.js';

// Hostile input: huge, unicode and control-character header values; error objects whose getters
// throw; anything at all thrown. The classifier must answer at once, never throw, and return a
// small, loggable classification.

const MB = 1024 * 1024;
/** Whether `text` holds a C0 or C1 control character (CR, LF, ESC, NEL, ...). */
const hasControl = (text: string) =>
  [...text].some((ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });

/** Every string field of a classification: no control characters, bounded length. */
function expectLoggable(c: ErrorClassification): void {
  expect(ERROR_KINDS).toContain(c.kind);
  expect(typeof c.retryable).toBe('boolean');
  expect(typeof c.breakerFailure).toBe('boolean');
  for (const [field, value] of Object.entries(c)) {
    if (typeof value === 'string') {
      expect(hasControl(value), `${field}: ${JSON.stringify(value)}`).toBe(false);
      expect(value.length, field).toBeLessThanOrEqual(501);
    }
  }
  if (c.retryAfterMs !== undefined) {
    expect(Number.isFinite(c.retryAfterMs)).toBe(true);
    expect(c.retryAfterMs).toBeGreaterThanOrEqual(0);
    expect(c.retryAfterMs).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
  }
  expect(JSON.parse(JSON.stringify(c))).toEqual(c);
}

/** The openai 4 SDK's own error: it keeps the headers as a plain object, so any value can be given. */
function sdkError(status: number, headers: Record<string, string>, message = 'failed'): APIError {
  const body = { message, type: 'requests', code: 'rate_limit_exceeded' };
  return APIError.generate(status, { error: body }, undefined, headers);
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

describe('hostile header values', () => {
  const huge = {
    digits: '1'.repeat(MB),
    spaces: `${' '.repeat(MB)}1`,
    unicode: '🔥'.repeat(MB / 2),
    control: '\u0000\r\n\u001b[31m'.repeat(MB / 8),
  };
  for (const [label, value] of Object.entries(huge)) {
    it(`answers at once, with no hint, for a 1 MB ${label} value in every hint header`, () => {
      const headers = {
        'retry-after-ms': value,
        'retry-after': value,
        'x-ratelimit-reset-requests': value,
        'x-ratelimit-remaining-requests': '0',
        'x-request-id': value,
      };
      const { value: c, ms } = timed(() => classifyOpenAIError(sdkError(429, headers, value)));
      expect(ms).toBeLessThan(200);
      expect(c.kind).toBe('rate_limit');
      expect(c.retryAfterMs).toBeUndefined();
      expectLoggable(c);
      const direct = timed(() => retryAfterMs(headers));
      expect(direct.ms).toBeLessThan(200);
      expect(direct.value).toBeUndefined();
    });
  }

  it('keeps a sane hint next to hostile neighbours', () => {
    const headers = { 'retry-after-ms': '250', 'x-request-id': `req\r\nAuthorization: Bearer x` };
    const c = classifyOpenAIError(sdkError(429, headers));
    expect(c.retryAfterMs).toBe(250);
    expectLoggable(c);
  });

  it('never throws and stays loggable whatever the header values and message (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({
        unit: fc.constantFrom('\u0000', '\r', '\n', '\u001b', '\u0085', '9', '.', ' '),
        maxLength: 40,
      }),
      fc.double().map(String),
      fc.integer().map(String),
      fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(400, 408, 409, 429, 500, 503, 529),
        fc.dictionary(
          fc.constantFrom(
            'retry-after-ms',
            'retry-after',
            'x-ratelimit-reset-requests',
            'x-ratelimit-reset-tokens',
            'x-ratelimit-remaining-requests',
            'x-ratelimit-remaining-tokens',
            'x-request-id',
            'x-should-retry',
          ),
          text,
        ),
        text,
        (status, headers, message) => {
          const c = classifyOpenAIError(sdkError(status, headers, message));
          expectLoggable(c);
          const hint = retryAfterMs(headers);
          if (hint !== undefined) {
            expect(Number.isFinite(hint)).toBe(true);
            expect(hint).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: numRuns(500) },
    );
  });
});

describe('secrets in server messages', () => {
  const key = `sk-proj-${'A1b2C3d4'.repeat(6)}`;
  it('keeps an API key the server echoes out of the classification', () => {
    const error = APIError.generate(
      401,
      {
        error: {
          message: `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      },
      undefined,
      {},
    );
    const c = classifyOpenAIError(error);
    expect(c.kind).toBe('auth');
    expect(JSON.stringify(c)).not.toContain(key);
  });
});

describe('hostile error objects', () => {
  const thrower = () => {
    throw new Error('getter says no');
  };
  const everyTrap = new Proxy(
    {},
    {
      get: thrower,
      has: thrower,
      ownKeys: thrower,
      getOwnPropertyDescriptor: thrower,
      getPrototypeOf: thrower,
    },
  );
  const revocable = Proxy.revocable(new Error('revoked'), {});
  revocable.revoke();
  const cyclic = new Error('cyclic');
  (cyclic as { cause?: unknown }).cause = cyclic;
  let deep: unknown = new Error('bottom');
  for (let i = 0; i < 10_000; i++) deep = new Error(`level ${i}`, { cause: deep });
  const getters = Object.defineProperties(new Error('getters'), {
    status: { get: thrower },
    headers: { get: thrower },
    error: { get: thrower },
    code: { get: thrower },
    cause: { get: thrower },
    name: { get: thrower },
    message: { get: thrower },
    constructor: { get: thrower },
  });
  const throwingHeaders = Object.assign(new Error('headers'), {
    status: 429,
    headers: { get: thrower, [Symbol.iterator]: thrower },
  });
  const headersWithThrowingGetter = Object.assign(new Error('headers'), {
    status: 503,
    headers: Object.defineProperty({}, 'retry-after', { get: thrower, enumerable: true }),
  });
  const hostile: [string, unknown][] = [
    ['a proxy whose every trap throws', everyTrap],
    ['a revoked proxy', revocable.proxy],
    ['an error that is its own cause', cyclic],
    ['a cause chain 10,000 deep', deep],
    ['an error whose every getter throws', getters],
    ['an error whose headers object throws', throwingHeaders],
    ['an error whose header getter throws', headersWithThrowingGetter],
    ['null', null],
    ['undefined', undefined],
    ['a symbol', Symbol('s')],
    ['a bigint', 10n],
    ['a function', () => 1],
    ['a 1 MB string', 'x'.repeat(MB)],
    ['an object with a null prototype', Object.create(null)],
  ];
  for (const [label, value] of hostile) {
    it(`classifies ${label} without throwing`, () => {
      const { value: c, ms } = timed(() => classifyOpenAIError(value));
      expect(ms).toBeLessThan(200);
      expectLoggable(c);
      expect(() => retryAfterMs(value)).not.toThrow();
    });
  }

  it('classifies the status it can still read next to getters that throw', () => {
    const error = Object.defineProperties(new Error('x'), {
      status: { value: 503 },
      headers: { get: thrower },
    });
    expect(classifyOpenAIError(error).kind).toBe('overloaded');
  });
});
