import { ApiError, type GenerateContentResponse, GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';
import {
  expectInterrupted,
  itGuardsProviderStream,
  quickStreamPolicy,
  readText,
} from '../support/providerStreams.js';

let server: FakeOpenAI;
let client: GoogleGenAI;

beforeAll(async () => {
  server = await startFakeOpenAI();
  client = new GoogleGenAI({ apiKey: 'gemini-test', httpOptions: { baseUrl: server.origin } });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

const generate = ({ signal }: { signal: AbortSignal }) =>
  client.models.generateContentStream({
    model: 'gemini-2.5-flash',
    contents: 'hi',
    config: { abortSignal: signal },
  });

const textOf = (chunk: GenerateContentResponse) => chunk.text;

describe('streamPolicy with the real @google/genai generateContentStream', () => {
  itGuardsProviderStream({ server: () => server, open: generate, textOf, errorKind: 'overloaded' });

  it('streams from the model path, and counts the finishReason chunk', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b'] }));
    const { policy, ends } = quickStreamPolicy();
    const { error } = await readText(await policy.execute(generate), textOf);
    expect(error).toBeUndefined();
    expect(server.requests[0]).toMatchObject({
      path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
      model: 'gemini-2.5-flash',
      stream: true,
    });
    expect(ends()).toMatchObject([{ outcome: 'completed', chunks: 3 }]);
  });

  it('throws the 503 error chunk as the SDK ApiError with its status', async () => {
    server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], errorAfter: 1 }));
    const { policy } = quickStreamPolicy();
    const { error } = await readText(await policy.execute(generate), textOf);
    const { cause } = expectInterrupted(error, 'overloaded');
    expect(cause).toBeInstanceOf(ApiError);
    expect(cause).toMatchObject({ status: 503 });
  });
});
