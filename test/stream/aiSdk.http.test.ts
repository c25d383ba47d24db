import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import {
  APICallError,
  type LanguageModel,
  streamText,
  type TextStreamPart,
  type ToolSet,
} from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StreamEndedEarlyError } from '../../src/stream/StreamEndedEarlyError.js';
import { StreamEventError } from '../../src/stream/StreamEventError.js';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';
import { expectInterrupted, quickStreamPolicy, readText } from '../support/providerStreams.js';

let server: FakeOpenAI;
let models: Record<'openai' | 'anthropic' | 'google', LanguageModel>;

beforeAll(async () => {
  (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
  server = await startFakeOpenAI();
  const apiKey = 'test-key';
  models = {
    openai: createOpenAI({ apiKey, baseURL: server.baseURL }).chat('gpt-test'),
    anthropic: createAnthropic({ apiKey, baseURL: `${server.origin}/v1` })('claude-sonnet-4-0'),
    google: createGoogleGenerativeAI({ apiKey, baseURL: `${server.origin}/v1beta` })(
      'gemini-2.5-flash',
    ),
  };
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

type Part = TextStreamPart<ToolSet>;
const textOf = (part: Part) => (part.type === 'text-delta' ? part.text : undefined);

/** The recipe of docs/streaming.md: the policy streams `fullStream`, not `textStream`. */
const fullStream =
  (model: LanguageModel) =>
  ({ signal }: { signal: AbortSignal }) =>
    streamText({ model, prompt: 'hi', abortSignal: signal, maxRetries: 0, onError: () => {} })
      .fullStream;

describe.each(['openai', 'anthropic', 'google'] as const)(
  'streamPolicy with the AI SDK streamText fullStream (@ai-sdk/%s)',
  (provider) => {
    const fn = () => fullStream(models[provider]);

    it('delivers a complete stream that ends with its finish part', async () => {
      server.setScript(replies.stream({ chunks: ['Hello', ' there'] }));
      const { policy, ends } = quickStreamPolicy();
      const parts: string[] = [];
      const { text, error } = await readText(await policy.execute(fn()), (part) => {
        parts.push(part.type);
        return textOf(part);
      });
      expect(error).toBeUndefined();
      expect(text).toEqual(['Hello', ' there']);
      expect(parts.slice(0, 2)).toEqual(['start', 'start-step']);
      expect(parts.at(-1)).toBe('finish');
      expect(ends()).toMatchObject([{ outcome: 'completed' }]);
    });

    it('retries a 503 before the first token: no empty answer', async () => {
      server.setScript([replies.overloaded(), replies.stream({ chunks: ['fine'] })]);
      const { policy, events } = quickStreamPolicy();
      const { text, error } = await readText(await policy.execute(fn()), textOf);
      expect(error).toBeUndefined();
      expect(text).toEqual(['fine']);
      expect(server.requests).toHaveLength(2);
      const retries = events.filter(([name]) => name === 'retry');
      expect(retries).toHaveLength(1);
    });

    it('rejects with the APICallError when every attempt gets a 503', async () => {
      server.setScript(replies.overloaded());
      const { policy } = quickStreamPolicy({ retry: { maxRetries: 1 } });
      const failure = await policy.execute(fn()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(APICallError.isInstance(failure)).toBe(true);
      expect(failure).toMatchObject({ statusCode: 503 });
      expect(server.requests).toHaveLength(2);
    });

    it('throws an error event after the first token as a StreamInterruptedError', async () => {
      server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], errorAfter: 2 }));
      const { policy, ends } = quickStreamPolicy();
      const { text, error } = await readText(await policy.execute(fn()), textOf);
      expect(text).toEqual(['a', 'b']);
      const { cause } = expectInterrupted(error, provider === 'openai' ? 'server' : 'overloaded');
      expect(cause instanceof StreamEventError || APICallError.isInstance(cause)).toBe(true);
      expect(ends()).toMatchObject([{ outcome: 'failed' }]);
    });

    it('fails a stream cut cleanly after the first token, instead of ending silently', async () => {
      server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], cutAfter: 2 }));
      const { policy } = quickStreamPolicy();
      const { text, error } = await readText(await policy.execute(fn()), textOf);
      expect(text).toEqual(['a', 'b']);
      expect(expectInterrupted(error, 'connection').cause).toBeInstanceOf(StreamEndedEarlyError);
    });

    it('retries a stream cut cleanly before the first token', async () => {
      server.setScript([
        replies.stream({ chunks: ['lost'], cutAfter: 0 }),
        replies.stream({ chunks: ['fine'] }),
      ]);
      const { policy } = quickStreamPolicy();
      const { text, error } = await readText(await policy.execute(fn()), textOf);
      expect(error).toBeUndefined();
      expect(text).toEqual(['fine']);
      expect(server.requests).toHaveLength(2);
    });

    it('fails a stalled stream after idleMs and closes the connection', async () => {
      server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], stallAfter: 1 }));
      const { policy } = quickStreamPolicy();
      const { text, error } = await readText(await policy.execute(fn()), textOf);
      expect(text).toEqual(['a']);
      expectInterrupted(error, 'timeout');
      await expect.poll(() => server.requests[0]?.clientClosed).toBe(true);
    });
  },
);
