import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { GoogleGenAI } from '@google/genai';
import { Mistral } from '@mistralai/mistralai';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { generateText } from 'ai';
import Groq from 'groq-sdk';
import { AzureOpenAI } from 'openai';
import type { FakeOpenAI } from '../../src/testing/index.js';

/**
 * One request with each provider's real SDK against the fake server, the SDK's own retries off
 * (the AI SDK's only when `sdkAttempts` is 1), fake credentials. SDKs whose paths the fake
 * server does not route are sent to its chat completions path by `fetch` (or, for Bedrock, a
 * middleware); errors do not depend on the path.
 */

const messages = [{ role: 'user' as const, content: 'Hello' }];

/** A fetch that sends every request to the fake server's chat completions path. */
export function toFakeServer(fake: FakeOpenAI): typeof fetch {
  return (_input, init) => fetch(`${fake.baseURL}/chat/completions`, init);
}

/** `@anthropic-ai/sdk`: `messages.create`. */
export const callAnthropic = (fake: FakeOpenAI) =>
  new Anthropic({
    apiKey: 'sk-ant-test-key',
    baseURL: fake.baseURL.replace(/\/v1$/, ''),
    maxRetries: 0,
    fetch: toFakeServer(fake),
  }).messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages });

/** `@google/genai`: `models.generateContent`, on the Gemini API or (with `vertexai`) Vertex AI. */
export const callGemini = (fake: FakeOpenAI, vertexai = false) =>
  new GoogleGenAI({
    apiKey: 'gemini-test-key',
    vertexai,
    httpOptions: { baseUrl: fake.baseURL, fetch: toFakeServer(fake) },
  }).models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hello' });

/** The Vercel AI SDK: `generateText` through `@ai-sdk/openai` (chat), `anthropic` or `google`. */
export function callAiSdk(fake: FakeOpenAI, via = 'openai', sdkAttempts = 1) {
  const options = { apiKey: 'ai-sdk-test-key', fetch: toFakeServer(fake) };
  const model =
    via === 'anthropic'
      ? createAnthropic(options)('claude-sonnet-5-5')
      : via === 'google'
        ? createGoogleGenerativeAI(options)('gemini-2.5-flash')
        : createOpenAI({ ...options, baseURL: fake.baseURL }).chat('gpt-4o-mini');
  return generateText({ model, prompt: 'Hello', maxRetries: sdkAttempts - 1 });
}

/**
 * A Bedrock Runtime client of `endpoint`, its own retries off, over HTTP/1.1 (it speaks HTTP/2
 * by default, for its bidirectional streams), its requests sent to the fake server's chat path.
 */
export function bedrockClient(endpoint: string): BedrockRuntimeClient {
  const client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDTESTKEY', secretAccessKey: 'test-secret-key' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });
  client.middlewareStack.add(
    (next) => (args) => {
      (args.request as { path: string }).path = '/v1/chat/completions';
      return next(args);
    },
    { step: 'build' },
  );
  return client;
}

/** A Bedrock `ConverseCommand` of one user message. */
export const converse = () =>
  new ConverseCommand({
    modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
    messages: [{ role: 'user', content: [{ text: 'Hello' }] }],
  });

/** `@aws-sdk/client-bedrock-runtime`: `ConverseCommand`. */
export const callBedrock = (fake: FakeOpenAI) => bedrockClient(fake.baseURL).send(converse());

/** `@mistralai/mistralai`: `chat.complete` (its path is the fake server's own). */
export const callMistral = (fake: FakeOpenAI) =>
  new Mistral({
    apiKey: 'mistral-test-key',
    serverURL: fake.baseURL.replace(/\/v1$/, ''),
    retryConfig: { strategy: 'none' },
  }).chat.complete({ model: 'mistral-small-latest', messages });

/** `groq-sdk`: `chat.completions.create`. */
export const callGroq = (fake: FakeOpenAI) =>
  new Groq({
    apiKey: 'gsk_test-key',
    baseURL: fake.baseURL,
    maxRetries: 0,
    fetch: toFakeServer(fake),
  }).chat.completions.create({ model: 'llama-3.3-70b-versatile', messages });

/** openai's `AzureOpenAI`: `chat.completions.create` on a deployment. */
export const callAzureOpenAI = (fake: FakeOpenAI) =>
  new AzureOpenAI({
    apiKey: 'azure-test-key',
    apiVersion: '2024-10-21',
    endpoint: fake.baseURL.replace(/\/v1$/, ''),
    deployment: 'gpt-4o-mini',
    maxRetries: 0,
    fetch: toFakeServer(fake),
  }).chat.completions.create({ model: 'gpt-4o-mini', messages });
