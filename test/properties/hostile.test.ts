import fc from 'fast-check';
import { APIConnectionError, APIError as APIError7 } from 'openai';
import { APIError } from 'openai-v4';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  classifyOpenAIError,
  ERROR_KINDS,
  type ErrorClassification,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
} from '../../src/errors/index.js';
import type { PolicyEventName } from '../../src/events.js';
import { EVENT_LOG_LEVELS } from '../../src/logEvents.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { createStreamPolicy } from '../../src/policies/stream.js';
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

describe('hostile calls', () => {
  const notFunctions: [string, unknown][] = [
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'fn'],
    ['an object', { call: () => 1 }],
    ['a promise', Promise.resolve(1)],
    ['a 1 MB string', 'x'.repeat(MB)],
  ];
  for (const [label, value] of notFunctions) {
    it(`execute given ${label} throws a short TypeError naming fn, for every preset`, () => {
      for (const policy of [createChatPolicy(), createStreamPolicy()]) {
        let thrown: unknown;
        try {
          void policy.execute(value as never);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(TypeError);
        expect((thrown as Error).message).toMatch(/^execute: fn must be a function, got /);
        expect((thrown as Error).message.length).toBeLessThan(200);
      }
    });
  }

  it('execute given a hostile second argument throws a TypeError naming it', () => {
    const policy = createChatPolicy();
    const trap = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('trap');
        },
      },
    );
    for (const bad of [42, 'signal', [], { signal: {} }, { tokens: Number.NaN }, { tokens: -1 }]) {
      expect(() => policy.execute(() => 1, bad as never)).toThrow(TypeError);
    }
    // A proxy whose traps throw is refused with the proxy's own error or a TypeError, never a hang.
    expect(() => policy.execute(() => 1, trap as never)).toThrow();
  });
});

describe('listeners that throw (property)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const EVENTS = Object.keys(EVENT_LOG_LEVELS) as PolicyEventName[];

  type Step = 'ok' | '500' | '429' | '400' | 'connection' | 'hang';
  const step = fc.constantFrom<Step>('ok', '500', '429', '400', 'connection', 'hang');

  function attempt(signal: AbortSignal, s: Step): Promise<string> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (s === 'hang') return signal.addEventListener('abort', onAbort, { once: true });
      setTimeout(() => {
        if (s === 'ok') resolve('done');
        else if (s === 'connection')
          reject(new APIConnectionError({ message: 'Connection error.' }));
        else {
          const status = Number(s);
          const headers = new Headers(status === 429 ? { 'retry-after-ms': '5' } : {});
          reject(APIError7.generate(status, { error: { message: 'x' } }, undefined, headers));
        }
      }, 1);
    });
  }

  /** Runs the calls one after another; returns what each call ended with. */
  async function runAll(
    policy: ReturnType<typeof createChatPolicy>,
    calls: Step[][],
  ): Promise<string[]> {
    const results: string[] = [];
    for (const steps of calls) {
      let attempts = 0;
      const call = policy
        .execute(({ signal, attempt: n }) => {
          attempts = n;
          return attempt(signal, steps[Math.min(n - 1, steps.length - 1)] as Step);
        })
        .then(
          (value) => `ok ${value}`,
          (error: unknown) => `error ${classifyOpenAIError(error).kind}`,
        );
      await vi.runAllTimersAsync();
      results.push(`${await call} after ${attempts}`);
    }
    return results;
  }

  it('changes no outcome, and the listeners after a throwing one still hear every event', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(step, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        async (calls) => {
          vi.useFakeTimers();
          // The same jitter in both runs: a different backoff could meet the breaker's half-open
          // time differently, which would be chance, not a listener's doing.
          const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
          try {
            const options = {
              retry: { maxRetries: 3, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1_000 },
              timeout: { attemptMs: 50 },
              circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 20 },
            };
            const quiet = createChatPolicy(options);
            const loud = createChatPolicy(options);
            const heardQuiet: string[] = [];
            const heardLoud: string[] = [];
            for (const name of EVENTS) {
              quiet.events.on(name, () => heardQuiet.push(name));
              loud.events.on(name, () => {
                throw new Error(`listener of ${name} throws`);
              });
              loud.events.on(name, () => heardLoud.push(name));
            }
            // The same clock in both runs: the pace learned from 429s measures the rate in
            // slots of wall-clock time, so a later start could place the calls in other slots.
            const start = Date.now();
            const expected = await runAll(quiet, calls);
            vi.setSystemTime(start);
            const actual = await runAll(loud, calls);
            expect(actual).toEqual(expected);
            expect(heardLoud).toEqual(heardQuiet);
            expect(vi.getTimerCount()).toBe(0);
          } finally {
            random.mockRestore();
            vi.useRealTimers();
          }
        },
      ),
      { numRuns: numRuns(100) },
    );
  });
});
