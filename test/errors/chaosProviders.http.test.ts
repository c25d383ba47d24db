import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError } from '../../src/errors/classifyError.js';
import type { ErrorClassification } from '../../src/errors/ErrorClassification.js';
import { bedrockExceptionReply } from '../../src/testing/bedrockErrorReplies.js';
import { type ChaosProvider, chaos } from '../../src/testing/chaos.js';
import {
  ERROR_KINDS_BY_WIRE_FORMAT,
  errorReplyFor,
  type HttpErrorKind,
  type WireFormat,
} from '../../src/testing/errorReplies.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../src/testing/index.js';
import { thrownBy } from './providerFixtures.js';
import { callAiSdk, callAnthropic, callBedrock, callGemini } from './sdkCalls.js';

/** The providers chaos knows besides openai (test/testing/chaos.test.ts has openai's). */
const PROVIDERS: readonly {
  provider: ChaosProvider;
  wire: WireFormat;
  call: (fake: FakeOpenAI) => Promise<unknown>;
}[] = [
  { provider: 'anthropic', wire: 'anthropic', call: callAnthropic },
  { provider: 'google', wire: 'google', call: (fake) => callGemini(fake) },
  { provider: 'vercel-ai', wire: 'openai', call: (fake) => callAiSdk(fake) },
  { provider: 'bedrock', wire: 'bedrock', call: callBedrock },
];

/** A classification without the per-request id and with the wait rounded to the second. */
function comparable({ requestId, retryAfterMs, ...rest }: ErrorClassification) {
  return {
    ...rest,
    hasRequestId: requestId !== undefined,
    retryAfterS: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
  };
}

const chaosError = (options: Parameters<typeof chaos>[0]) =>
  thrownBy(() => chaos(options).execute(() => undefined));

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

describe.each(PROVIDERS)("chaos({ provider: '$provider' })", ({ provider, wire, call }) => {
  it.each(ERROR_KINDS_BY_WIRE_FORMAT[wire].map((kind) => [kind]))(
    '%s classifies as the real SDK error for the same answer',
    async (kind) => {
      fake.setScript(errorReplyFor(kind as HttpErrorKind, { provider: wire }));
      const real = await thrownBy(() => call(fake));
      const injected = await chaosError({ error: kind, provider });
      expect((injected as Error).name).toBe((real as Error).name);
      const expected = classifyError(real);
      expect(expected.kind).toBe(kind);
      expect(expected.provider).toBe(provider);
      expect(comparable(classifyError(injected))).toEqual(comparable(expected));
    },
  );

  it.each([['timeout'], ['connection'], ['aborted'], ['invalid_output'], ['unknown']] as const)(
    '%s is thrown as that kind',
    async (kind) => {
      expect(classifyError(await chaosError({ error: kind, provider })).kind).toBe(kind);
    },
  );
});

describe('errorReplyFor with a provider', () => {
  it('refuses an unknown wire format and a kind the API never answers with', () => {
    expect(() => errorReplyFor('server', { provider: 'cohere' as WireFormat })).toThrow(
      /errorReplyFor: provider must be one of openai, anthropic, google, bedrock, got "cohere"/,
    );
    expect(() => errorReplyFor('content_filter', { provider: 'anthropic' })).toThrow(
      /errorReplyFor: kind must be one of rate_limit, .* for provider anthropic, got "content_filter"/,
    );
    expect(() => errorReplyFor('timeout', { provider: 'openai' })).toThrow(/got "timeout"/);
  });

  it('answers Bedrock timeouts and any exception', () => {
    expect(errorReplyFor('timeout', { provider: 'bedrock' })).toMatchObject({
      status: 408,
      headers: { 'x-amzn-errortype': expect.stringMatching(/^ModelTimeoutException:/) },
    });
    expect(bedrockExceptionReply('ModelNotReadyException', 429, 'Not ready')).toMatchObject({
      status: 429,
      body: { message: 'Not ready' },
    });
  });
});

describe('chaos refuses a kind the provider never answers with', () => {
  it.each([
    ['anthropic', 'content_filter'],
    ['google', 'conflict'],
    ['bedrock', 'unprocessable'],
  ] as const)('%s: %s', (provider, kind) => {
    expect(() => chaos({ error: kind, provider })).toThrow(
      new RegExp(`chaos: error must be one of .* for provider "${provider}", got "${kind}"`),
    );
  });

  it('refuses an unknown provider and a provider without an error kind', () => {
    expect(() => chaos({ error: 'server', provider: 'cohere' as ChaosProvider })).toThrow(
      /chaos: provider must be one of openai, anthropic, google, vercel-ai, bedrock, got "cohere"/,
    );
    expect(() => chaos({ latencyMs: 10, provider: 'google' } as never)).toThrow(
      /chaos: provider must be given with an error kind only, got "google"/,
    );
    expect(() => chaos({ error: () => new Error('mine'), provider: 'bedrock' })).toThrow(
      /chaos: provider must be given with an error kind only, got "bedrock"/,
    );
  });
});
