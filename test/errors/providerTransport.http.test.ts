import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { Mistral } from '@mistralai/mistralai';
import { generateText } from 'ai';
import Groq from 'groq-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError } from '../../src/errors/classifyError.js';
import type { ErrorKind } from '../../src/errors/ErrorClassification.js';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';
import { closedPort, thrownBy } from './providerFixtures.js';
import { bedrockClient, converse, toFakeServer } from './sdkCalls.js';

const messages = [{ role: 'user' as const, content: 'Hello' }];

/**
 * One request of each SDK to `origin`. With `ownTimeoutMs`, the SDKs that have a timeout of
 * their own that tells (Anthropic, Groq, Mistral) use it and not `signal`; the others are timed
 * out by `signal` (Google's own `httpOptions.timeout` aborts without a reason, so its error
 * cannot be told from an abort; the AI SDK and Bedrock have none per call).
 */
const SDKS: Record<
  string,
  (origin: string, signal: AbortSignal, ownTimeoutMs?: number) => Promise<unknown>
> = {
  '@anthropic-ai/sdk': (origin, signal, timeout) =>
    new Anthropic({
      apiKey: 'test-key',
      baseURL: origin,
      maxRetries: 0,
      fetch: toFake(origin),
      ...(timeout ? { timeout } : {}),
    }).messages.create(
      { model: 'claude-sonnet-5-5', max_tokens: 16, messages },
      { signal: timeout ? new AbortController().signal : signal },
    ),
  '@google/genai': (origin, signal) =>
    new GoogleGenAI({
      apiKey: 'test-key',
      httpOptions: { baseUrl: origin, fetch: toFake(origin) },
    }).models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Hello',
      config: { abortSignal: signal },
    }),
  'ai (generateText)': (origin, signal) =>
    generateText({
      model: createOpenAI({ apiKey: 'test-key', baseURL: `${origin}/v1` }).chat('gpt-4o-mini'),
      prompt: 'Hello',
      maxRetries: 0,
      abortSignal: signal,
    }),
  '@aws-sdk/client-bedrock-runtime': (origin, signal) =>
    bedrockClient(origin).send(converse(), { abortSignal: signal }),
  '@mistralai/mistralai': (origin, signal, timeout) =>
    new Mistral({
      apiKey: 'test-key',
      serverURL: origin,
      retryConfig: { strategy: 'none' },
      ...(timeout ? { timeoutMs: timeout } : {}),
    }).chat.complete(
      { model: 'mistral-small-latest', messages },
      timeout ? {} : { fetchOptions: { signal } },
    ),
  'groq-sdk': (origin, signal, timeout) =>
    new Groq({
      apiKey: 'test-key',
      baseURL: origin,
      maxRetries: 0,
      fetch: toFake(origin),
      ...(timeout ? { timeout } : {}),
    }).chat.completions.create(
      { model: 'llama-3.3-70b-versatile', messages },
      { signal: timeout ? new AbortController().signal : signal },
    ),
};

function toFake(origin: string): typeof fetch {
  return toFakeServer({ baseURL: `${origin}/v1` } as FakeOpenAI);
}

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ script: replies.hang() });
});
afterAll(async () => {
  await fake.close();
});

describe.each(Object.entries(SDKS))('%s without an HTTP answer', (_name, call) => {
  const origin = () => fake.baseURL.replace(/\/v1$/, '');
  const expectKind = (error: unknown, kind: ErrorKind, signal?: AbortSignal) =>
    expect(classifyError(error, { signal }).kind, String(error)).toBe(kind);

  it('a refused connection is connection', async () => {
    const error = await thrownBy(() => call(closedOrigin(), new AbortController().signal));
    expectKind(error, 'connection');
  });

  it("the SDK's own timeout, or the call's signal of AbortSignal.timeout(), is timeout", async () => {
    const signal = AbortSignal.timeout(100);
    expectKind(await thrownBy(() => call(origin(), signal, 100)), 'timeout', signal);
  });

  it("the caller's abort is aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await thrownBy(() => call(origin(), controller.signal));
    expectKind(error, 'aborted', controller.signal);
  });

  let closed: string;
  beforeAll(async () => {
    closed = `http://127.0.0.1:${await closedPort()}`;
  });
  const closedOrigin = () => closed;
});
