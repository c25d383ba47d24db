import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyError } from '../../src/errors/classifyError.js';
import { ERROR_KINDS } from '../../src/errors/ErrorClassification.js';
import { MAX_RETRY_AFTER_MS, retryAfterMs } from '../../src/errors/retryAfter.js';

/** An object whose listed fields throw when read. */
const withThrowingGetters = (fields: string[]) =>
  Object.defineProperties(
    {},
    Object.fromEntries(
      fields.map((field) => [
        field,
        {
          enumerable: true,
          get() {
            throw new Error(`getter ${field}`);
          },
        },
      ]),
    ),
  );

const fieldNames = fc.constantFrom(
  'status',
  'statusCode',
  'headers',
  'error',
  'code',
  'type',
  'message',
  'name',
  'cause',
  'constructor',
  'get',
  'requestID',
  'request_id',
  'isLlmResilienceTimeout',
  'isTaskCancelledError',
  '$metadata',
  '$fault',
  '$retryable',
  '$response',
  'responseHeaders',
  'responseBody',
  'data',
  'body',
  'lastError',
  'isRetryable',
);

const headerNames = fc.constantFrom(
  'retry-after',
  'retry-after-ms',
  'x-ratelimit-reset-requests',
  'x-ratelimit-reset-tokens',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-remaining-tokens',
  'x-should-retry',
  'x-request-id',
  'request-id',
  'anthropic-ratelimit-requests-reset',
  'anthropic-ratelimit-requests-remaining',
  'anthropic-ratelimit-output-tokens-reset',
  'anthropic-ratelimit-output-tokens-remaining',
);

/** Header values that look like hints, almost do, or are junk. */
const headerValues = fc.oneof(
  fc.string(),
  fc.stringMatching(/^-?[0-9]{0,12}(\.[0-9]{0,6})?$/),
  fc.stringMatching(/^([0-9]{1,4}(\.[0-9]{1,3})?(h|m|s|ms|us|ns)){1,4}$/),
  fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('true', 'false', '0', 'NaN', 'Infinity', '1e309', ' 1 '),
);

const headerRecords = fc.dictionary(headerNames, headerValues);

/** Google error details: RetryInfo, QuotaFailure and ErrorInfo entries with junk mixed in. */
const googleDetails = fc.array(
  fc.oneof(
    fc.record({
      '@type': fc.constant('type.googleapis.com/google.rpc.RetryInfo'),
      retryDelay: fc.oneof(fc.string(), fc.stringMatching(/^-?[0-9]{1,8}(\.[0-9]{1,9})?s$/)),
    }),
    fc.record({
      '@type': fc.constant('type.googleapis.com/google.rpc.QuotaFailure'),
      violations: fc.oneof(
        fc.anything(),
        fc.array(fc.record({ quotaId: fc.string(), quotaMetric: fc.anything() })),
      ),
    }),
    fc.record({ '@type': fc.string(), reason: fc.anything() }),
    fc.anything(),
  ),
);

/** Google error bodies, kept as `@google/genai` keeps them: as the JSON text of the message. */
const googleLike = fc
  .record({
    status: fc.integer({ min: 100, max: 599 }),
    code: fc.anything(),
    grpc: fc.oneof(
      fc.constantFrom('RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'INVALID_ARGUMENT'),
      fc.string(),
    ),
    message: fc.string(),
    details: googleDetails,
  })
  .map(({ status, code, grpc, message, details }) =>
    Object.assign(new Error(JSON.stringify({ error: { code, message, status: grpc, details } })), {
      name: 'ApiError',
      status,
    }),
  );

/** The AI SDK's APICallError and RetryError shapes with arbitrary fields. */
const aiSdkLike = fc
  .record({
    statusCode: fc.oneof(fc.integer({ min: 100, max: 599 }), fc.constant(undefined)),
    responseHeaders: headerRecords,
    responseBody: fc.oneof(fc.string(), fc.json()),
    data: fc.anything(),
    isRetryable: fc.anything(),
    wrapped: fc.boolean(),
  })
  .map(({ wrapped, ...fields }) => {
    const error = Object.assign(new Error('call failed'), { name: 'AI_APICallError' }, fields);
    return wrapped
      ? Object.assign(new Error('retries failed'), {
          name: 'AI_RetryError',
          lastError: error,
          errors: [error],
        })
      : error;
  });

const errorLike = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.anything(),
    fc.record(
      {
        status: fc.oneof(fc.integer({ min: -1, max: 1000 }), fc.double(), fc.string()),
        headers: fc.oneof(
          headerRecords,
          headerRecords.map((r) => new Headers(r)),
        ),
        error: fc.oneof(
          fc.anything(),
          fc.record(
            {
              message: fc.string(),
              code: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
              type: fc.oneof(fc.string(), fc.constant(null)),
            },
            { requiredKeys: [] },
          ),
        ),
        message: fc.string(),
        name: fc.string(),
        code: fc.string(),
        cause: tie('value'),
      },
      { requiredKeys: [] },
    ),
    fc.uniqueArray(fieldNames, { maxLength: 5 }).map(withThrowingGetters),
    fc.string().map((message) => new Error(message)),
    googleLike,
    aiSdkLike,
  ),
}));

function expectValidClassification(value: unknown) {
  const result = classifyError(value);
  expect(ERROR_KINDS).toContain(result.kind);
  expect(typeof result.retryable).toBe('boolean');
  expect(typeof result.breakerFailure).toBe('boolean');
  expect(typeof result.message).toBe('string');
  expect(result.message.length).toBeLessThanOrEqual(501);
  if (result.retryAfterMs !== undefined) {
    expect(Number.isFinite(result.retryAfterMs)).toBe(true);
    expect(result.retryAfterMs).toBeGreaterThanOrEqual(0);
    expect(result.retryAfterMs).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
  }
  expect(JSON.parse(JSON.stringify(result))).toEqual(result);
}

function expectValidHint(value: unknown) {
  const hint = retryAfterMs(value);
  if (hint === undefined) return;
  expect(Number.isFinite(hint)).toBe(true);
  expect(hint).toBeGreaterThanOrEqual(0);
  expect(hint).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
}

describe('properties', () => {
  it('classifyError never throws and always gives a valid, serialisable classification', () => {
    fc.assert(
      fc.property(errorLike.value, (value) => {
        expectValidClassification(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('retryAfterMs never throws and gives finite, non-negative hints of at most a day', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          errorLike.value,
          headerRecords,
          headerRecords.map((r) => new Headers(r)),
        ),
        (value) => {
          expectValidHint(value);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('hints from 429 errors with arbitrary headers are always sane', () => {
    fc.assert(
      fc.property(headerRecords, fc.string(), (headers, message) => {
        const error = { status: 429, headers: new Headers(headers), error: { message } };
        expectValidHint(error);
        expectValidClassification(error);
        expect(classifyError(error).kind).toMatch(/^(rate_limit|quota)$/);
      }),
      { numRuns: 2000 },
    );
  });
});
