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
    expect(errorProvider(Object.create(null), undefined, undefined)).toBeUndefined();
  });

  it('looks for the root class up to 8 prototypes up, no further', () => {
    class OpenAIError extends Error {}
    /** An instance of a class `levels` subclasses below `base`. */
    const below = (base: new () => Error, levels: number): Error => {
      let cls = base;
      for (let level = 0; level < levels; level++) cls = class extends cls {};
      return new cls();
    };
    // The 8th prototype of the instance is OpenAIError.prototype: found.
    expect(errorProvider(below(OpenAIError, 7), undefined, undefined)).toBe('openai');
    // The 9th: past the limit.
    expect(errorProvider(below(OpenAIError, 8), undefined, undefined)).toBeUndefined();
  });

  it('reads class names only from the prototype chain: a proxy hiding its prototype tells none', () => {
    class OpenAIError extends Error {}
    // Its `constructor` field still reads OpenAIError through the target.
    const hidden = new Proxy(new OpenAIError('x'), {
      getPrototypeOf() {
        throw new Error('trap');
      },
    });
    expect(errorProvider(hidden, undefined, undefined)).toBeUndefined();
  });

  it('tells Azure OpenAI by x-ms-region alone, and only for an openai error', () => {
    const error = new openai.RateLimitError(429, {}, undefined, headers);
    expect(errorProvider(error, new Headers({ 'x-ms-region': 'East US' }), {})).toBe(
      'azure-openai',
    );
    expect(errorProvider(error, new Headers({ 'x-other': 'East US' }), {})).toBe('openai');
    const azureHeaders = new Headers({ 'apim-request-id': 'a', 'x-ms-region': 'East US' });
    const claude = new anthropic.RateLimitError(429, {}, undefined, azureHeaders);
    expect(errorProvider(claude, azureHeaders, { innererror: {} })).toBe('anthropic');
    expect(errorProvider(new Error('x'), azureHeaders, { innererror: {} })).toBeUndefined();
  });

  it('tells Bedrock only by a client or server $fault together with $metadata', () => {
    const shaped = (fields: object) => Object.assign(new Error('x'), fields);
    const metadata = { httpStatusCode: 400, requestId: 'r', attempts: 1, totalRetryDelay: 0 };
    expect(errorProvider(shaped({ $fault: 'client', $metadata: metadata }), {}, {})).toBe(
      'bedrock',
    );
    expect(errorProvider(shaped({ $fault: 'server', $metadata: metadata }), {}, {})).toBe(
      'bedrock',
    );
    expect(errorProvider(shaped({ $metadata: metadata }), {}, {})).toBeUndefined();
    expect(errorProvider(shaped({ $fault: 'other', $metadata: metadata }), {}, {})).toBeUndefined();
    expect(errorProvider(shaped({ $fault: 'server' }), {}, {})).toBeUndefined();
    expect(
      errorProvider(shaped({ $fault: 'client', $metadata: undefined }), {}, {}),
    ).toBeUndefined();
  });

  it('tells Google only by an ApiError with a gRPC status name in its body', () => {
    const payload = { status: 'UNAVAILABLE' };
    const named = Object.assign(new Error('x'), { name: 'ApiError' });
    expect(errorProvider(named, undefined, payload)).toBe('google');
    expect(errorProvider(new Error('x'), undefined, payload)).toBeUndefined();
    expect(errorProvider({ status: 503 }, undefined, payload)).toBeUndefined();
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

  it('reads isRetryable only on an AI_APICallError: other errors get no hint and no provider', () => {
    const url = 'https://api.openai.com/v1/chat/completions';
    const silent = new others.APICallError({ message: 'odd', url, isRetryable: true });
    expect(classifyError(silent)).toStrictEqual({
      kind: 'connection',
      retryable: true,
      breakerFailure: true,
      message: 'AI_APICallError: odd',
      provider: 'vercel-ai',
    });
    const notRetryable = new others.APICallError({ message: 'odd', url, isRetryable: false });
    expect(classifyError(notRetryable)).toStrictEqual({
      kind: 'unknown',
      retryable: false,
      breakerFailure: false,
      message: 'AI_APICallError: odd',
      provider: 'vercel-ai',
    });
    const plain = Object.assign(new Error('odd'), { isRetryable: true });
    expect(classifyError(plain)).toStrictEqual({
      kind: 'unknown',
      retryable: false,
      breakerFailure: false,
      message: 'Error: odd',
    });
    expect(classifyError(new RangeError('bad'))).toStrictEqual({
      kind: 'unknown',
      retryable: false,
      breakerFailure: false,
      message: 'RangeError: bad',
    });
  });

  it('keeps the kind the body of a 2xx answer names, without asking its cause', () => {
    const billed = new others.APICallError({
      message: 'billing limit',
      url: 'https://api.openai.com/v1/chat/completions',
      statusCode: 200,
      data: { error: { message: 'billing limit', code: 'billing_hard_limit_reached' } },
      cause: new TypeError('terminated'),
    });
    expect(classifyError(billed)).toMatchObject({ kind: 'quota', status: 200, retryable: false });
  });

  it('classifies an error with a 2xx status by the cause that cut the answer, else as unknown', () => {
    const url = 'https://api.openai.com/v1/chat/completions';
    const cut = new others.APICallError({
      message: 'Cannot connect to API: terminated',
      url,
      statusCode: 200,
      isRetryable: true,
      cause: new TypeError('terminated'),
    });
    expect(classifyError(cut)).toMatchObject({ kind: 'connection', retryable: true });
    const odd = new others.APICallError({
      message: 'odd',
      url,
      statusCode: 200,
      isRetryable: true,
    });
    expect(classifyError(odd)).toMatchObject({ kind: 'unknown', status: 200 });
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

  it("reads Bedrock's $retryable only below 500, and only when it is an object", () => {
    const server = (status: number, $retryable: unknown) =>
      Object.assign(
        new others.BedrockRuntimeServiceException('NewServerException', status, 'x', 'r'),
        {
          $retryable,
        },
      );
    expect(classifyError(server(500, { throttling: true })).kind).toBe('server');
    expect(classifyError(server(500, {})).kind).toBe('server');
    expect(classifyError(server(499, {})).kind).toBe('overloaded');
    expect(classifyError(server(400, null)).kind).toBe('bad_request');
    expect(classifyError(server(400, true)).kind).toBe('bad_request');
  });

  it("an abort of Mistral's SDK (RequestAbortedError) is aborted, whatever its cause says", () => {
    // Speakeasy's isAbortError also takes a socket's ECONNABORTED for an abort.
    const socket = Object.assign(new Error('socket hang up'), { code: 'ECONNABORTED' });
    const aborted = Object.assign(
      new Error('Request aborted by client: Error: socket hang up', { cause: socket }),
      { name: 'RequestAbortedError' },
    );
    expect(classifyError(aborted)).toMatchObject({
      kind: 'aborted',
      retryable: false,
      breakerFailure: false,
    });
    expect(classifyError(socket).kind).toBe('connection');
  });

  it('an AI SDK JSONParseError or NoObjectGeneratedError is invalid_output', () => {
    for (const name of ['AI_JSONParseError', 'AI_NoObjectGeneratedError']) {
      const error = Object.assign(new Error('could not parse the response'), { name });
      expect(classifyError(error)).toMatchObject({
        kind: 'invalid_output',
        retryable: true,
        breakerFailure: false,
      });
    }
  });

  it('a SyntaxError is invalid_output only when the start of its message names JSON', () => {
    expect(classifyError(new SyntaxError('Unexpected end of JSON input')).kind).toBe(
      'invalid_output',
    );
    expect(classifyError(new SyntaxError(`${'x'.repeat(195)} JSON`)).kind).toBe('invalid_output');
    expect(classifyError(new SyntaxError(`${'x'.repeat(196)} JSON`)).kind).toBe('unknown');
    const bare = new SyntaxError('x');
    Object.defineProperty(bare, 'message', { value: undefined });
    expect(classifyError(bare)).toMatchObject({ kind: 'unknown', message: 'SyntaxError' });
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
