import { AzureOpenAI } from 'openai';
import { AzureOpenAI as AzureOpenAI4 } from 'openai-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { retryAfterMs } from '../../src/errors/retryAfter.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';
import { FIXTURE_CASES, type FixtureCase } from './fixtureCases.js';
import { closedPort, thrownBy } from './providerFixtures.js';
import { SDK_MAJORS } from './sdkMajors.js';

/** The part of every major's client these tests call. */
interface ChatClient {
  chat: {
    completions: {
      create(
        body: Record<string, unknown>,
        options?: { signal?: AbortSignal; timeout?: number },
      ): Promise<unknown>;
    };
  };
}

const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] };

/** Reads a stream to the end and returns what it threw. */
function thrownByStream(client: ChatClient): Promise<unknown> {
  return thrownBy(async () => {
    const stream = (await client.chat.completions.create({
      ...request,
      stream: true,
    })) as AsyncIterable<unknown>;
    for await (const _chunk of stream) {
      // read on until the stream breaks
    }
  });
}

function replyFor(fixture: FixtureCase) {
  return fixture.rawBody === undefined
    ? replies.status(fixture.status, fixture.body, fixture.headers)
    : replies.raw(fixture.status, fixture.rawBody, fixture.headers);
}

let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});

afterAll(async () => {
  await fake.close();
});

describe.each(SDK_MAJORS)('the errors openai $major throws over HTTP', (sdk) => {
  const client = (options: { baseURL?: string; timeout?: number } = {}): ChatClient =>
    new (sdk.OpenAI as unknown as new (options: Record<string, unknown>) => ChatClient)({
      apiKey: 'sk-test-key',
      baseURL: fake.baseURL,
      maxRetries: 0,
      ...options,
    });

  it.each(FIXTURE_CASES)('$name', async (fixture) => {
    fake.setScript(replyFor(fixture));
    const error = await thrownBy(() => client().chat.completions.create(request));
    expect(error).toBeInstanceOf(sdk.errors.APIError);
    const result = classifyOpenAIError(error);
    expect(result).toMatchObject({ ...fixture.expect, status: fixture.status });
    expect(result.retryAfterMs).toBe(fixture.expect.retryAfterMs);
    expect(retryAfterMs(error)).toBe(fixture.expect.retryAfterMs);
    expect(result.requestId).toMatch(/^req_/);
    expect(JSON.stringify(result)).not.toContain('sk-test-key');
  });

  it('connection refused is connection', async () => {
    const port = await closedPort();
    const error = await thrownBy(() =>
      client({ baseURL: `http://127.0.0.1:${port}/v1` }).chat.completions.create(request),
    );
    expect(error).toBeInstanceOf(sdk.errors.APIConnectionError);
    expect(classifyOpenAIError(error)).toMatchObject({
      kind: 'connection',
      retryable: true,
      breakerFailure: true,
    });
  });

  it('a socket destroyed mid-stream is connection', async () => {
    fake.setScript(replies.stream({ chunks: ['a', 'b', 'c', 'd'], dropAfter: 2 }));
    const error = await thrownByStream(client());
    expect(classifyOpenAIError(error)).toMatchObject({
      kind: 'connection',
      retryable: true,
      breakerFailure: true,
    });
  });

  it("the SDK's own timeout is timeout", async () => {
    fake.setScript(replies.hang());
    const error = await thrownBy(() => client({ timeout: 100 }).chat.completions.create(request));
    expect(error).toBeInstanceOf(sdk.errors.APIConnectionTimeoutError);
    expect(classifyOpenAIError(error)).toMatchObject({
      kind: 'timeout',
      retryable: true,
      breakerFailure: true,
    });
  });

  it('a user abort is aborted', async () => {
    fake.setScript(replies.hang());
    const controller = new AbortController();
    const pending = thrownBy(() =>
      client().chat.completions.create(request, { signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 50);
    const error = await pending;
    expect(error).toBeInstanceOf(sdk.errors.APIUserAbortError);
    expect(classifyOpenAIError(error, { signal: controller.signal })).toMatchObject({
      kind: 'aborted',
      retryable: false,
      breakerFailure: false,
    });
  });

  it("an abort by the toolkit's timeout is timeout", async () => {
    fake.setScript(replies.hang());
    const controller = new AbortController();
    const pending = thrownBy(() =>
      client().chat.completions.create(request, { signal: controller.signal }),
    );
    setTimeout(() => controller.abort(new TimeoutError('attempt', 50)), 50);
    const error = await pending;
    expect(classifyOpenAIError(error, { signal: controller.signal }).kind).toBe('timeout');
    // openai 7 keeps the signal's reason as the cause; 4 to 6 need the signal.
    expect(classifyOpenAIError(error).kind).toBe(sdk.major >= 7 ? 'timeout' : 'aborted');
  });

  it('an SSE error event mid-stream is classified from its payload', async () => {
    fake.setScript(replies.stream({ chunks: ['a', 'b', 'c'], errorAfter: 2 }));
    const error = await thrownByStream(client());
    expect(error).toBeInstanceOf(sdk.errors.APIError);
    const result = classifyOpenAIError(error);
    expect(result).toMatchObject({ kind: 'server', retryable: true, breakerFailure: true });
    expect(result.status).toBeUndefined();
  });
});

describe.each([
  { label: 'openai 7', Azure: AzureOpenAI },
  { label: 'openai 4', Azure: AzureOpenAI4 },
])('AzureOpenAI of $label', ({ Azure }) => {
  /** The URLs the Azure client asked for, before they were pointed at the fake server. */
  const azureUrls: string[] = [];
  /** Azure puts the deployment in the path and the API version in the query; the fake serves /v1/chat/completions. */
  const toFake: typeof fetch = (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    azureUrls.push(url.pathname + url.search);
    return fetch(new URL('/v1/chat/completions', url), init);
  };

  it.each(FIXTURE_CASES.filter((fixture) => /Azure/.test(fixture.name)))(
    '$name',
    async (fixture) => {
      fake.setScript(replyFor(fixture));
      const client = new (Azure as unknown as new (options: Record<string, unknown>) => ChatClient)(
        {
          apiKey: 'azure-key',
          apiVersion: '2024-10-21',
          baseURL: `${fake.baseURL.replace(/\/v1$/, '')}/openai`,
          maxRetries: 0,
          fetch: toFake,
        },
      );
      const error = await thrownBy(() => client.chat.completions.create(request));
      expect(classifyOpenAIError(error)).toMatchObject({
        ...fixture.expect,
        status: fixture.status,
      });
      expect(azureUrls.at(-1)).toBe(
        '/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21',
      );
    },
  );
});
