import { ApiError, type GenerateContentResponse, GoogleGenAI } from '@google/genai';
import { beforeAll, describe, expect, it } from 'vitest';
import { replies } from '../../src/testing/index.js';
import {
  expectInterrupted,
  itGuardsProviderStream,
  quickStreamPolicy,
  readText,
  useFakeServer,
} from '../support/providerStreams.js';

const fake = useFakeServer();
let client: GoogleGenAI;

beforeAll(() => {
  client = new GoogleGenAI({ apiKey: 'gemini-test', httpOptions: { baseUrl: fake().origin } });
});

const generate = ({ signal }: { signal: AbortSignal }) =>
  client.models.generateContentStream({
    model: 'gemini-2.5-flash',
    contents: 'hi',
    config: { abortSignal: signal },
  });

const textOf = (chunk: GenerateContentResponse) => chunk.text;

describe('streamPolicy with the real @google/genai generateContentStream', () => {
  itGuardsProviderStream({
    server: fake,
    open: generate,
    textOf,
    errorKind: 'overloaded',
    thinks: true,
  });

  it('streams from the model path, and counts the finishReason chunk', async () => {
    fake().setScript(replies.stream({ chunks: ['a', 'b'] }));
    const { policy, ends } = quickStreamPolicy();
    const { error } = await readText(await policy.execute(generate), textOf);
    expect(error).toBeUndefined();
    expect(fake().requests[0]).toMatchObject({
      path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
      model: 'gemini-2.5-flash',
      stream: true,
    });
    expect(ends()).toMatchObject([{ outcome: 'completed', chunks: 3 }]);
  });

  it('throws the 503 error chunk as the SDK ApiError with its status', async () => {
    fake().setScript(replies.stream({ chunks: ['a', 'b', 'c'], errorAfter: 1 }));
    const { policy } = quickStreamPolicy();
    const { error } = await readText(await policy.execute(generate), textOf);
    const { cause } = expectInterrupted(error, 'overloaded');
    expect(cause).toBeInstanceOf(ApiError);
    expect(cause).toMatchObject({ status: 503 });
  });
});
