import { describe, expect, it } from 'vitest';
import { classifyError } from '../../src/errors/classifyError.js';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { jsonInText } from '../../src/errors/errorBody.js';
import { errorProvider } from '../../src/errors/errorProvider.js';
import { causeChain } from '../../src/errors/errorShape.js';
import { readGoogleDetails } from '../../src/errors/googleDetails.js';
import { kindInMessage } from '../../src/errors/messageKind.js';
import { retryAfterMs } from '../../src/errors/retryAfter.js';
import * as anthropic from '../../src/testing/anthropicShapedErrors.js';
import * as others from '../../src/testing/providerShapedErrors.js';
import * as openai from '../../src/testing/sdkShapedErrors.js';

const retryInfo = (retryDelay: unknown) => ({
  '@type': 'type.googleapis.com/google.rpc.RetryInfo',
  retryDelay,
});
const quotaFailure = (...quotaIds: string[]) => ({
  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
  violations: quotaIds.map((quotaId) => ({ quotaId })),
});

describe('classifyOpenAIError', () => {
  it('is classifyError under its former name', () => {
    expect(classifyOpenAIError).toBe(classifyError);
  });
});

describe('jsonInText', () => {
  it('parses the JSON object a text starts with, or holds after a short prefix', () => {
    expect(jsonInText('{"error":{"code":429}}')).toEqual({ error: { code: 429 } });
    expect(jsonInText('got status: UNAVAILABLE. {"error":{"code":503}}')).toEqual({
      error: { code: 503 },
    });
  });

  it.each([
    ['not a string', 42],
    ['no object', 'Service Unavailable'],
    ['broken JSON', '{"error":'],
    ['an object too far in', `${'x'.repeat(201)}{}`],
    ['a text over 64 KiB', `{"message":"${'x'.repeat(65_536)}"}`],
  ])('gives nothing for %s', (_label, text) => {
    expect(jsonInText(text)).toBeUndefined();
  });
});

describe('readGoogleDetails', () => {
  it('reads RetryInfo, a per-day QuotaFailure and ErrorInfo', () => {
    expect(
      readGoogleDetails({
        details: [
          retryInfo('34.4s'),
          quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier'),
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' },
        ],
      }),
    ).toEqual({ retryDelayMs: 34_400, dailyQuota: true, reason: 'API_KEY_INVALID' });
  });

  it('a per-minute quota is no daily quota; metrics with per_day are', () => {
    expect(readGoogleDetails({ details: [quotaFailure('RequestsPerMinute')] }).dailyQuota).toBe(
      false,
    );
    const metric = {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [{ quotaMetric: 'aiplatform.googleapis.com/generate_content_requests_per_day' }],
    };
    expect(readGoogleDetails({ details: [metric] }).dailyQuota).toBe(true);
  });

  it('ignores delays it cannot read and entries past the first 20', () => {
    expect(readGoogleDetails({ details: [retryInfo('soon'), retryInfo(3)] })).toEqual({
      dailyQuota: false,
    });
    const late = [...Array.from({ length: 20 }, () => ({})), retryInfo('1s')];
    expect(readGoogleDetails({ details: late }).retryDelayMs).toBeUndefined();
    const manyViolations = quotaFailure(...Array.from({ length: 20 }, () => 'x'), 'PerDay');
    expect(readGoogleDetails({ details: [manyViolations] }).dailyQuota).toBe(false);
  });

  it('gives nothing for bodies without details', () => {
    expect(readGoogleDetails(undefined)).toEqual({ dailyQuota: false });
    expect(readGoogleDetails({ details: 'junk' })).toEqual({ dailyQuota: false });
  });
});

describe('kindInMessage', () => {
  it.each([
    ['prompt is too long: 215000 tokens > 200000 maximum', 'context_length'],
    [
      'The input token count (1200000) exceeds the maximum number of tokens allowed',
      'context_length',
    ],
    ['Input is too long for requested model.', 'context_length'],
    ["This model's maximum context length is 4096 tokens.", 'context_length'],
    ['Your credit balance is too low to access the Anthropic API.', 'quota'],
    ['max_tokens: Field required', undefined],
    [undefined, undefined],
  ])('%j is %s', (message, kind) => {
    expect(kindInMessage(message)).toBe(kind);
  });

  it('searches only the first 4096 characters', () => {
    expect(kindInMessage(`${' '.repeat(4096)}prompt is too long`)).toBeUndefined();
  });
});

describe('errorProvider', () => {
  const headers = new Headers();
  it.each([
    ['openai', new openai.RateLimitError(429, {}, undefined, headers)],
    ['anthropic', new anthropic.RateLimitError(429, {}, undefined, headers)],
    ['google', new others.ApiError(429, { error: { status: 'RESOURCE_EXHAUSTED' } })],
    ['vercel-ai', new others.APICallError({ message: 'x', url: 'u', statusCode: 429 })],
    ['bedrock', new others.BedrockRuntimeServiceException('ThrottlingException', 429, 'x', 'r')],
  ])('%s', (provider, error) => {
    expect(classifyError(error).provider).toBe(provider);
  });

  it('tells Azure OpenAI by its headers or its innererror', () => {
    const azure = new openai.BadRequestError(
      400,
      {},
      undefined,
      new Headers({ 'apim-request-id': 'a' }),
    );
    expect(classifyError(azure).provider).toBe('azure-openai');
    const filtered = new openai.BadRequestError(
      400,
      { code: null, innererror: { code: 'ResponsibleAIPolicyViolation' } },
      undefined,
      headers,
    );
    expect(classifyError(filtered)).toMatchObject({
      kind: 'content_filter',
      provider: 'azure-openai',
    });
  });

  it('tells nothing of a plain object, a Google-named error without a gRPC status, or a hostile proxy', () => {
    expect(errorProvider({ status: 500 }, undefined, undefined)).toBeUndefined();
    const named = Object.assign(new Error('{}'), { name: 'ApiError', status: 500 });
    expect(errorProvider(named, undefined, { status: 500 })).toBeUndefined();
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    expect(errorProvider(hostile, undefined, undefined)).toBeUndefined();
  });
});

describe('classifyError across SDK shapes', () => {
  it("follows the AI SDK's RetryError to its last error", () => {
    const last = others.aiSdkErrorForResponse(
      429,
      { error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } },
      { 'Retry-After-Ms': '1500' },
    );
    const retryError = Object.assign(new Error('Failed after 3 attempts.'), {
      name: 'AI_RetryError',
      reason: 'maxRetriesExceeded',
      errors: [last, last, last],
      lastError: last,
    });
    expect(causeChain(retryError)).toEqual([retryError, last]);
    expect(classifyError(retryError)).toMatchObject({
      kind: 'rate_limit',
      retryAfterMs: 1500,
      provider: 'vercel-ai',
    });
    expect(retryAfterMs(retryError)).toBe(1500);
  });

  it("reads the AI SDK's isRetryable only for an APICallError its causes tell nothing of", () => {
    const url = 'https://api.openai.com/v1/chat/completions';
    const noAnswer = new others.APICallError({ message: 'Cannot connect', url, isRetryable: true });
    expect(classifyError(noAnswer)).toMatchObject({ kind: 'connection', provider: 'vercel-ai' });
    const notRetryable = new others.APICallError({ message: 'odd', url, isRetryable: false });
    expect(classifyError(notRetryable).kind).toBe('unknown');
    const timedOut = new others.APICallError({
      message: 'Cannot connect',
      url,
      isRetryable: true,
      cause: Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }),
    });
    expect(classifyError(timedOut).kind).toBe('timeout');
    const quota = others.aiSdkErrorForResponse(
      429,
      { error: { message: 'You exceeded your current quota', code: 'insufficient_quota' } },
      {},
    );
    expect(quota.isRetryable).toBe(true);
    expect(classifyError(quota)).toMatchObject({ kind: 'quota', retryable: false });
  });

  it("reads Bedrock's $retryable for an exception it does not name", () => {
    const throttled = Object.assign(
      new others.BedrockRuntimeServiceException('NewThrottleException', 400, 'x', 'r'),
      { $retryable: { throttling: true } },
    );
    expect(classifyError(throttled).kind).toBe('rate_limit');
    const busy = Object.assign(
      new others.BedrockRuntimeServiceException('NewBusyException', 424, 'x', 'r'),
      { $retryable: {} },
    );
    expect(classifyError(busy)).toMatchObject({ kind: 'overloaded', retryable: true });
    const plain = new others.BedrockRuntimeServiceException('NewClientException', 400, 'x', 'r');
    expect(classifyError(plain).kind).toBe('bad_request');
  });

  it("classifies Anthropic's SSE error event (no status) from its payload", () => {
    const overloaded = new anthropic.APIError(
      undefined,
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      undefined,
      new Headers(),
    );
    expect(classifyError(overloaded)).toMatchObject({
      kind: 'overloaded',
      retryable: true,
      provider: 'anthropic',
      message: 'Overloaded',
    });
    const tooLong = new anthropic.APIError(
      undefined,
      { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long' } },
      undefined,
      new Headers(),
    );
    expect(classifyError(tooLong).kind).toBe('context_length');
  });

  it("classifies Google's stream error (the gRPC status before the JSON) and a gRPC name alone", () => {
    const streamError = Object.assign(
      new Error(
        'got status: UNAVAILABLE. {"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}',
      ),
      { name: 'ApiError', status: 503 },
    );
    expect(classifyError(streamError)).toMatchObject({
      kind: 'overloaded',
      code: 'UNAVAILABLE',
      message: 'The model is overloaded.',
    });
  });

  it('reads megabyte provider fields in linear time', () => {
    const huge = 'x'.repeat(1_000_000);
    const started = performance.now();
    const google = Object.assign(new Error(`{"error":{"message":"${huge}"}}`), {
      name: 'ApiError',
      status: 429,
    });
    const aiSdk = new others.APICallError({
      message: huge,
      url: 'u',
      statusCode: 429,
      responseBody: huge,
      responseHeaders: { 'anthropic-ratelimit-requests-reset': huge },
    });
    expect(classifyError(google).kind).toBe('rate_limit');
    expect(classifyError(aiSdk)).toMatchObject({ kind: 'rate_limit' });
    expect(classifyError(aiSdk).retryAfterMs).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(200);
  });
});
