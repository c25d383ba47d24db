import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  ConsecutiveBreaker,
  circuitBreaker,
  HydratingCircuitError,
  handleAll,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
} from 'cockatiel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { ERROR_KINDS, type ErrorKind } from '../../src/errors/ErrorClassification.js';
import { ERROR_DECISIONS } from '../../src/errors/errorDecisions.js';
import { InvalidRequestError } from '../../src/errors/InvalidRequestError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { RateLimitBudgetError } from '../../src/rateLimit/RateLimitBudgetError.js';
import { FIXTURE_CASES } from './fixtureCases.js';
import { SDK_MAJORS } from './sdkMajors.js';

const withCode = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('classifyOpenAIError on SDK errors built by each major', () => {
  for (const sdk of SDK_MAJORS) {
    describe(`openai ${sdk.major}`, () => {
      it.each(FIXTURE_CASES)('$name', (fixture) => {
        const body = fixture.rawBody === undefined ? fixture.body : undefined;
        const error = sdk.errors.APIError.generate(
          fixture.status,
          body as Record<string, unknown>,
          fixture.rawBody,
          sdk.headers(fixture.headers) as never,
        );
        const result = classifyOpenAIError(error);
        expect(result).toMatchObject({ ...fixture.expect, status: fixture.status });
        if (fixture.expect.retryAfterMs === undefined) expect(result.retryAfterMs).toBeUndefined();
      });

      it('reads the request id', () => {
        const error = sdk.errors.APIError.generate(
          500,
          { error: { message: 'boom' } },
          undefined,
          sdk.headers({ 'x-request-id': 'req_123' }) as never,
        );
        expect(classifyOpenAIError(error).requestId).toBe('req_123');
      });

      it('classifies SSE error payloads (no status) by code and type', () => {
        // The majors' constructors differ in their header type, so the union is not constructable.
        const APIError = sdk.errors.APIError as unknown as new (
          status: undefined,
          error: object,
          message: undefined,
          headers: unknown,
        ) => Error;
        const sse = (payload: Record<string, unknown>) =>
          classifyOpenAIError(new APIError(undefined, payload, undefined, sdk.headers({})));
        expect(sse({ message: 'slow', type: 'requests', code: 'rate_limit_exceeded' }).kind).toBe(
          'rate_limit',
        );
        expect(sse({ message: 'x', type: 'server_error', code: null }).kind).toBe('server');
        expect(
          sse({ message: 'x', type: 'insufficient_quota', code: 'insufficient_quota' }),
        ).toMatchObject({ kind: 'quota', retryable: false });
        expect(sse({ type: 'overloaded_error', message: 'Overloaded' }).kind).toBe('overloaded');
        expect(
          sse({ type: 'invalid_request_error', code: 'context_length_exceeded', message: 'x' })
            .kind,
        ).toBe('context_length');
        expect(sse({ message: 'something odd' }).kind).toBe('unknown');
        expect(sse({ message: 'slow', code: 'rate_limit_exceeded' }).status).toBeUndefined();
      });

      it('classifies connection, timeout and abort errors', () => {
        const refused = new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') });
        expect(
          classifyOpenAIError(new sdk.errors.APIConnectionError({ cause: refused })),
        ).toMatchObject({
          kind: 'connection',
          retryable: true,
          breakerFailure: true,
        });
        expect(classifyOpenAIError(new sdk.errors.APIConnectionTimeoutError())).toMatchObject({
          kind: 'timeout',
          retryable: true,
        });
        expect(classifyOpenAIError(new sdk.errors.APIUserAbortError())).toMatchObject({
          kind: 'aborted',
          retryable: false,
          breakerFailure: false,
        });
      });

      it('counts a user abort as timeout when the signal was aborted by a timeout', () => {
        const controller = new AbortController();
        controller.abort(new TimeoutError('attempt', 100));
        const abort = new sdk.errors.APIUserAbortError();
        expect(classifyOpenAIError(abort, { signal: controller.signal }).kind).toBe('timeout');
        const userAbort = new AbortController();
        userAbort.abort();
        expect(classifyOpenAIError(abort, { signal: userAbort.signal }).kind).toBe('aborted');
        expect(classifyOpenAIError(abort, { signal: new AbortController().signal }).kind).toBe(
          'aborted',
        );
      });

      it("counts the signal's own reason as aborted, whatever it is, unless it is a timeout", () => {
        for (const reason of ['stop', new Error('user left'), 42]) {
          const controller = new AbortController();
          controller.abort(reason);
          expect(classifyOpenAIError(reason, { signal: controller.signal }).kind).toBe('aborted');
          expect(classifyOpenAIError(reason).kind).toBe('unknown');
        }
        const timedOut = new AbortController();
        const timeout = new TimeoutError('total', 5);
        timedOut.abort(timeout);
        expect(classifyOpenAIError(timeout, { signal: timedOut.signal }).kind).toBe('timeout');
      });

      it('classifies ContentFilterFinishReasonError as content_filter', () => {
        expect(classifyOpenAIError(new sdk.errors.ContentFilterFinishReasonError()).kind).toBe(
          'content_filter',
        );
        expect(classifyOpenAIError(new sdk.errors.LengthFinishReasonError()).kind).toBe('unknown');
      });
    });
  }
});

describe('classifyOpenAIError by status and code', () => {
  const http = (status: number, error?: Record<string, unknown>, headers = {}) =>
    classifyOpenAIError({ status, headers: new Headers(headers), error });

  it.each<[number, Record<string, unknown> | undefined, ErrorKind]>([
    [429, { code: 'rate_limit_exceeded' }, 'rate_limit'],
    [429, { type: 'insufficient_quota', code: null }, 'quota'],
    [429, { code: 'insufficient_quota' }, 'quota'],
    [402, undefined, 'quota'],
    [402, { type: 'insufficient_quota' }, 'quota'],
    [400, { code: 'billing_hard_limit_reached' }, 'quota'],
    [429, { code: 'credit_balance_exhausted' }, 'quota'],
    [500, { message: 'The server is currently overloaded.' }, 'overloaded'],
    [500, { type: 'overloaded_error' }, 'overloaded'],
    [500, { code: 'slow_down' }, 'overloaded'],
    [503, undefined, 'overloaded'],
    [529, undefined, 'overloaded'],
    [500, undefined, 'server'],
    [501, undefined, 'server'],
    [502, undefined, 'server'],
    [504, undefined, 'server'],
    [599, undefined, 'server'],
    [408, undefined, 'timeout'],
    [400, { code: 'context_length_exceeded' }, 'context_length'],
    [400, { code: 'content_filter' }, 'content_filter'],
    [400, { code: 'invalid_type' }, 'bad_request'],
    [400, undefined, 'bad_request'],
    [401, undefined, 'auth'],
    [403, undefined, 'permission'],
    [404, undefined, 'not_found'],
    [409, undefined, 'conflict'],
    [422, undefined, 'unprocessable'],
    [405, undefined, 'bad_request'],
    [413, undefined, 'bad_request'],
    [499, undefined, 'bad_request'],
    [400, { code: 'insufficient_quota' }, 'bad_request'],
    [500, { code: 'insufficient_quota' }, 'server'],
    [302, undefined, 'unknown'],
    [399, undefined, 'unknown'],
  ])('status %d with %j is %s', (status, error, kind) => {
    const result = http(status, error);
    expect(result.kind).toBe(kind);
    expect(result.retryable).toBe(ERROR_DECISIONS[kind].retryable);
    expect(result.breakerFailure).toBe(ERROR_DECISIONS[kind].breakerFailure);
    expect(result.status).toBe(status);
  });

  it('"overloaded" in a 4xx message does not make it overloaded', () => {
    expect(http(400, { message: 'the prompt overloaded the parser' }).kind).toBe('bad_request');
  });

  it('x-should-retry: false makes any error not retryable, breakerFailure unchanged', () => {
    expect(http(429, undefined, { 'x-should-retry': 'false' })).toMatchObject({
      kind: 'rate_limit',
      retryable: false,
      breakerFailure: false,
    });
    expect(http(500, undefined, { 'x-should-retry': 'false' })).toMatchObject({
      retryable: false,
      breakerFailure: true,
    });
  });

  it('x-should-retry: true makes HTTP errors retryable except quota', () => {
    expect(http(409, undefined, { 'x-should-retry': 'true' })).toMatchObject({
      kind: 'conflict',
      retryable: true,
      breakerFailure: false,
    });
    expect(http(400, undefined, { 'x-should-retry': 'true' }).retryable).toBe(true);
    expect(http(429, { code: 'insufficient_quota' }, { 'x-should-retry': 'true' }).retryable).toBe(
      false,
    );
    expect(http(402, undefined, { 'x-should-retry': 'true' }).retryable).toBe(false);
    expect(http(400, undefined, { 'x-should-retry': 'maybe' }).retryable).toBe(false);
  });

  it('reads status and statusCode of other libraries errors', () => {
    expect(classifyOpenAIError({ status: 503 }).kind).toBe('overloaded');
    expect(classifyOpenAIError(Object.assign(new Error('x'), { statusCode: 429 })).kind).toBe(
      'rate_limit',
    );
    expect(classifyOpenAIError({ status: 1234 }).kind).toBe('unknown');
    expect(classifyOpenAIError({ status: '500' }).kind).toBe('unknown');
  });

  it('reads a fetch Response thrown as an error', () => {
    const response = new Response('', { status: 429, headers: { 'retry-after': '3' } });
    expect(classifyOpenAIError(response)).toMatchObject({ kind: 'rate_limit', retryAfterMs: 3000 });
  });
});

describe('classifyOpenAIError on network failures', () => {
  it.each([
    'ECONNRESET',
    'ECONNREFUSED',
    'EPIPE',
    'ENOTFOUND',
    'EAI_AGAIN',
    'UND_ERR_SOCKET',
    'ERR_STREAM_PREMATURE_CLOSE',
  ])('%s is connection', (code) => {
    expect(classifyOpenAIError(withCode(code))).toMatchObject({
      kind: 'connection',
      retryable: true,
      breakerFailure: true,
    });
    expect(classifyOpenAIError(new TypeError('fetch failed', { cause: withCode(code) })).kind).toBe(
      'connection',
    );
  });

  it.each(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT'])(
    '%s is timeout',
    (code) => {
      expect(
        classifyOpenAIError(new TypeError('fetch failed', { cause: withCode(code) })).kind,
      ).toBe('timeout');
    },
  );

  it('undici errors by class name', () => {
    class SocketError extends Error {}
    class ConnectTimeoutError extends Error {}
    expect(
      classifyOpenAIError(
        new TypeError('terminated', { cause: new SocketError('other side closed') }),
      ).kind,
    ).toBe('connection');
    expect(classifyOpenAIError(new SocketError('closed')).kind).toBe('connection');
    expect(classifyOpenAIError(new ConnectTimeoutError('slow')).kind).toBe('timeout');
  });

  it('fetch failures of browsers and bare fetch TypeErrors are connection', () => {
    for (const message of ['terminated', 'fetch failed', 'Failed to fetch', 'Load failed']) {
      expect(classifyOpenAIError(new TypeError(message)).kind).toBe('connection');
    }
  });

  it('a bug in caller code is unknown and not retried', () => {
    expect(
      classifyOpenAIError(new TypeError("Cannot read properties of undefined (reading 'x')")),
    ).toMatchObject({
      kind: 'unknown',
      retryable: false,
      breakerFailure: false,
    });
    expect(classifyOpenAIError(new Error('fetch failed')).kind).toBe('unknown');
  });
});

describe('classifyOpenAIError on timeouts and aborts', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("the toolkit's TimeoutError is timeout, also from another copy of the package", () => {
    expect(classifyOpenAIError(new TimeoutError('attempt', 50))).toMatchObject({
      kind: 'timeout',
      retryable: true,
      breakerFailure: true,
      message: 'TimeoutError: attempt timeout: no result within 50 ms',
    });
    const foreign = Object.assign(new Error('x'), { isLlmResilienceTimeout: true });
    expect(classifyOpenAIError(foreign).kind).toBe('timeout');
  });

  it('AbortError is aborted unless its cause or the signal reason is a timeout', async () => {
    const controller = new AbortController();
    controller.abort();
    const domAbort = await fetch('http://127.0.0.1:9', { signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect(classifyOpenAIError(domAbort).kind).toBe('aborted');
    const timedOut = Object.assign(new Error('aborted', { cause: new TimeoutError('total', 10) }), {
      name: 'AbortError',
    });
    expect(classifyOpenAIError(timedOut).kind).toBe('timeout');
    const viaSignal = new AbortController();
    viaSignal.abort(new TimeoutError('total', 10));
    expect(classifyOpenAIError(domAbort, { signal: viaSignal.signal }).kind).toBe('timeout');
  });

  it('a fetch aborted by a timeout signal rejects with a TimeoutError: timeout', async () => {
    const signal = AbortSignal.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    const error = await fetch('http://127.0.0.1:9', { signal }).catch((e: unknown) => e);
    expect(error).toBe(signal.reason);
    expect(classifyOpenAIError(error).kind).toBe('timeout');
  });

  it("cockatiel's own errors: open circuit and full bulkhead are aborted, its timeout is timeout", async () => {
    const breaker = circuitBreaker(handleAll, {
      halfOpenAfter: 10_000,
      breaker: new ConsecutiveBreaker(1),
    });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const open = await breaker.execute(() => 'never').catch((e: unknown) => e);
    expect(open).toBeInstanceOf(BrokenCircuitError);
    expect(classifyOpenAIError(open)).toMatchObject({
      kind: 'aborted',
      retryable: false,
      breakerFailure: false,
    });
    expect(classifyOpenAIError(new IsolatedCircuitError()).kind).toBe('aborted');
    expect(classifyOpenAIError(new HydratingCircuitError()).kind).toBe('aborted');

    const gate = bulkhead(1, 0);
    let release = () => {};
    const running = gate.execute(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    const rejected = await gate.execute(() => 'never').catch((e: unknown) => e);
    release();
    await running;
    expect(rejected).toBeInstanceOf(BulkheadRejectedError);
    expect(classifyOpenAIError(rejected)).toMatchObject({
      kind: 'aborted',
      retryable: false,
      breakerFailure: false,
    });

    vi.useFakeTimers();
    const limit = timeout(50, TimeoutStrategy.Aggressive);
    const pending = limit.execute(() => new Promise(() => {})).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50);
    const timedOut = await pending;
    expect(timedOut).toBeInstanceOf(TaskCancelledError);
    expect(classifyOpenAIError(timedOut).kind).toBe('timeout');
    expect(classifyOpenAIError(new TaskCancelledError()).kind).toBe('aborted');
  });
});

describe('classifyOpenAIError follows cause', () => {
  const sdk429 = () => {
    const { errors, headers } =
      SDK_MAJORS[3] ??
      (() => {
        throw new Error('no openai 7');
      })();
    return errors.APIError.generate(
      429,
      { error: { code: 'rate_limit_exceeded', message: 'slow' } },
      undefined,
      headers({ 'retry-after': '1' }) as never,
    );
  };

  it('classifies a wrapped error by the original, up to 3 levels', () => {
    let wrapped: unknown = sdk429();
    for (let level = 1; level <= 3; level++) {
      wrapped = new Error(`level ${level}`, { cause: wrapped });
      expect(classifyOpenAIError(wrapped)).toMatchObject({
        kind: 'rate_limit',
        retryAfterMs: 1000,
        message: 'slow',
      });
    }
    expect(classifyOpenAIError(new Error('level 4', { cause: wrapped })).kind).toBe('unknown');
  });

  it('survives cyclic causes', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(classifyOpenAIError(a)).toMatchObject({ kind: 'unknown', message: 'Error: a' });
  });

  it('an InvalidRequestError is bad_request, also from another copy', () => {
    const error = new InvalidRequestError([
      { path: 'model', problem: 'must be a non-empty string' },
    ]);
    expect(classifyOpenAIError(error)).toMatchObject({ kind: 'bad_request', retryable: false });
    expect(classifyOpenAIError({ isLlmResilienceInvalidRequest: true, message: 'x' }).kind).toBe(
      'bad_request',
    );
  });

  it('a call larger than the whole token budget (RateLimitBudgetError) is bad_request', () => {
    expect(classifyOpenAIError(new RateLimitBudgetError(5_000, 1_000))).toMatchObject({
      kind: 'bad_request',
      retryable: false,
      breakerFailure: false,
    });
  });
});

describe('classifyOpenAIError output', () => {
  it('keeps the server message, cut to 500 characters, without control characters', () => {
    const text = `line1\r\nline2 ${'x'.repeat(10_000)}`;
    const result = classifyOpenAIError({
      status: 500,
      headers: new Headers(),
      error: { message: text },
    });
    expect(result.message.startsWith('line1  line2 xxx')).toBe(true);
    expect(result.message.length).toBe(501);
  });

  it('names non-SDK errors by name and message', () => {
    expect(classifyOpenAIError(new RangeError('bad')).message).toBe('RangeError: bad');
    expect(classifyOpenAIError('plain string').message).toBe('plain string');
    expect(classifyOpenAIError(42).message).toBe('number thrown');
    expect(classifyOpenAIError(null).message).toBe('null thrown');
    expect(classifyOpenAIError(undefined).message).toBe('undefined thrown');
    expect(classifyOpenAIError({ any: 'thing' }).message).toBe('non-error Object thrown');
  });

  it('never carries header values other than what its fields name', () => {
    const secret = 'sk-proj-SECRETSECRET';
    const headers = new Headers({
      authorization: `Bearer ${secret}`,
      'set-cookie': `session=${secret}`,
      'openai-organization': secret,
      'x-request-id': 'req_1',
      'retry-after': '2',
    });
    const result = classifyOpenAIError({ status: 429, headers, error: { message: 'slow' } });
    const json = JSON.stringify(result);
    expect(json).not.toContain(secret);
    expect(JSON.parse(json)).toEqual(result);
    expect(Object.keys(result).sort()).toEqual([
      'breakerFailure',
      'kind',
      'message',
      'requestId',
      'retryAfterMs',
      'retryable',
      'status',
    ]);
  });

  it('cuts code, type and request id and strips their control characters', () => {
    const result = classifyOpenAIError({
      status: 400,
      headers: new Headers({ 'x-request-id': `req\u0001${'r'.repeat(1000)}` }),
      error: { code: `c\n${'c'.repeat(1000)}`, type: 't'.repeat(1000) },
    });
    expect(result.code?.length).toBe(101);
    expect(result.code?.startsWith('c c')).toBe(true);
    expect(result.type?.length).toBe(101);
    expect(result.requestId?.startsWith('req r')).toBe(true);
    expect(result.requestId?.length).toBe(201);
  });

  it('reads only what it keeps of megabyte fields, in linear time', () => {
    const huge = 'a\u0000'.repeat(500_000);
    const started = performance.now();
    const result = classifyOpenAIError({
      status: 503,
      // A plain record (as openai 4 keeps them) can hold control characters; Headers cannot.
      headers: { 'x-request-id': 'r'.repeat(1_000_000), 'retry-after': huge },
      error: { message: huge, code: huge, type: huge },
    });
    expect(performance.now() - started).toBeLessThan(200);
    expect(result).toMatchObject({ kind: 'overloaded', retryable: true });
    expect(result.retryAfterMs).toBeUndefined();
    expect(result.message.length).toBe(501);
    expect(result.message).not.toContain('\u0000');
    expect(JSON.stringify(result).length).toBeLessThan(1200);
  });

  it('every kind has a decision', () => {
    expect(Object.keys(ERROR_DECISIONS).sort()).toEqual([...ERROR_KINDS].sort());
  });
});

describe('classifyOpenAIError never throws', () => {
  const throwingProxy = new Proxy(
    {},
    {
      get() {
        throw new Error('get');
      },
      has() {
        throw new Error('has');
      },
      getOwnPropertyDescriptor() {
        throw new Error('gopd');
      },
      getPrototypeOf() {
        throw new Error('proto');
      },
      ownKeys() {
        throw new Error('keys');
      },
    },
  );
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  const throwingGetters = Object.defineProperties(new Error('x'), {
    name: {
      get: () => {
        throw new Error('name');
      },
    },
    message: {
      get: () => {
        throw new Error('message');
      },
    },
    cause: {
      get: () => {
        throw new Error('cause');
      },
    },
    constructor: {
      get: () => {
        throw new Error('constructor');
      },
    },
  });
  const hostileHeaders = {
    status: 429,
    headers: {
      get: () => {
        throw new Error('get');
      },
    },
    error: {
      get message() {
        throw new Error('m');
      },
      get code() {
        throw new Error('c');
      },
    },
  };

  it.each([
    ['a proxy that throws on every trap', throwingProxy],
    ['a revoked proxy', revocable.proxy],
    ['an error with throwing getters', throwingGetters],
    ['SDK-shaped with hostile headers and body', hostileHeaders],
    ['an options object whose signal getter throws', 'signal'],
  ])('%s', (_label, value) => {
    const options =
      value === 'signal'
        ? Object.defineProperty({}, 'signal', {
            get: () => {
              throw new Error('s');
            },
          })
        : undefined;
    const result = classifyOpenAIError(value, options);
    expect(ERROR_KINDS).toContain(result.kind);
    expect(typeof result.message).toBe('string');
  });
});

describe('classifyOpenAIError on SDK errors whose class a bundler renamed', () => {
  /** The error as a minifier leaves it: same fields, another class name. */
  const renamed = <T extends object>(error: T): T =>
    Object.defineProperty(error, 'constructor', { value: class e {} });

  for (const sdk of SDK_MAJORS) {
    it(`openai ${sdk.major}: abort, connection and timeout are told by their fixed messages`, () => {
      expect(classifyOpenAIError(renamed(new sdk.errors.APIUserAbortError()))).toMatchObject({
        kind: 'aborted',
        message: 'e: Request was aborted.',
      });
      const refused = new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') });
      expect(
        classifyOpenAIError(renamed(new sdk.errors.APIConnectionError({ cause: refused }))),
      ).toMatchObject({ kind: 'connection', message: 'Connection error.' });
      expect(
        classifyOpenAIError(renamed(new sdk.errors.APIConnectionTimeoutError())),
      ).toMatchObject({ kind: 'timeout', message: 'Request timed out.' });
    });

    it(`openai ${sdk.major}: the class name wins over a custom message`, () => {
      const abort = new sdk.errors.APIUserAbortError({ message: 'stopped by the user' });
      expect(classifyOpenAIError(abort).kind).toBe('aborted');
      const timeout = new sdk.errors.APIConnectionTimeoutError({ message: 'took too long' });
      expect(classifyOpenAIError(timeout).kind).toBe('timeout');
      const connection = new sdk.errors.APIConnectionError({
        message: 'Request timed out at the proxy',
      });
      expect(classifyOpenAIError(connection).kind).toBe('connection');
    });
  }

  it('"Request was aborted." is an abort only for the SDK shape without a status', () => {
    const shaped = { status: undefined, headers: undefined, error: undefined };
    expect(classifyOpenAIError({ ...shaped, message: 'Request was aborted.' }).kind).toBe(
      'aborted',
    );
    expect(
      classifyOpenAIError({ ...shaped, status: 500, message: 'Request was aborted.' }),
    ).toMatchObject({ kind: 'server', message: 'Request was aborted.' });
    expect(classifyOpenAIError(new Error('Request was aborted.')).kind).toBe('unknown');
    expect(classifyOpenAIError({ ...shaped, message: 'Request was aborted' }).kind).toBe(
      'connection',
    );
  });

  it('an SDK-shaped error with neither status nor message is a connection error', () => {
    expect(
      classifyOpenAIError({ status: undefined, headers: undefined, error: undefined }),
    ).toMatchObject({ kind: 'connection', message: 'HTTP error without a message' });
  });
});

describe('classifyOpenAIError details', () => {
  it('an SSE payload with unknown codes is unknown, with its message and no other field', () => {
    expect(
      classifyOpenAIError({ status: undefined, headers: {}, error: { message: 'something odd' } }),
    ).toStrictEqual({
      kind: 'unknown',
      retryable: false,
      breakerFailure: false,
      message: 'something odd',
    });
  });

  it('x-should-retry: true needs a status: it does not make an SSE payload retryable', () => {
    const headers = new Headers({ 'x-should-retry': 'true' });
    expect(
      classifyOpenAIError({ status: undefined, headers, error: { message: 'odd' } }),
    ).toMatchObject({ kind: 'unknown', retryable: false });
  });

  it('an empty server message is replaced by the status', () => {
    expect(
      classifyOpenAIError({ status: 500, headers: new Headers(), error: { message: '' } }).message,
    ).toBe('HTTP 500 without a message');
  });

  it('labels an error by its name, else its class, else Error', () => {
    expect(classifyOpenAIError(Object.assign(new Error('x'), { name: 'CustomName' })).message).toBe(
      'CustomName: x',
    );
    class HttpFailure extends Error {}
    expect(classifyOpenAIError(new HttpFailure('x')).message).toBe('HttpFailure: x');
    expect(classifyOpenAIError({ message: 'hi' }).message).toBe('Object: hi');
    expect(classifyOpenAIError(Object.assign(Object.create(null), { message: 'hi' })).message).toBe(
      'Error: hi',
    );
    expect(classifyOpenAIError(new Error()).message).toBe('Error: ');
    expect(classifyOpenAIError(Object.create(null)).message).toBe('non-error Error thrown');
  });

  it('names a thrown function by its name', () => {
    function onChunk() {}
    expect(classifyOpenAIError(onChunk)).toMatchObject({
      kind: 'unknown',
      message: 'non-error onChunk thrown',
    });
  });

  it('an error without a message keeps its label alone', () => {
    const bare = new RangeError('x');
    Object.defineProperty(bare, 'message', { value: undefined });
    expect(classifyOpenAIError(bare).message).toBe('RangeError');
  });

  it("only cockatiel's TaskCancelledError is a timeout by its wording", () => {
    const abort = Object.assign(new Error('Operation timed out after 5ms'), { name: 'AbortError' });
    expect(classifyOpenAIError(abort).kind).toBe('aborted');
    expect(classifyOpenAIError({ isTaskCancelledError: true }).kind).toBe('aborted');
    expect(
      classifyOpenAIError({ isTaskCancelledError: true, message: 'Operation timed out after 5ms' })
        .kind,
    ).toBe('timeout');
  });

  it('an undefined error with a signal that did not abort is unknown, not aborted', () => {
    const signal = new AbortController().signal;
    expect(classifyOpenAIError(undefined, { signal })).toMatchObject({
      kind: 'unknown',
      message: 'undefined thrown',
    });
  });
});
