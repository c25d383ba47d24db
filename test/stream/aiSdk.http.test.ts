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
import { beforeAll, describe, expect, it } from 'vitest';
import { StreamEventError } from '../../src/stream/StreamEventError.js';
import type { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';
import { replies } from '../../src/testing/index.js';
import {
  expectInterrupted,
  itGuardsProviderStream,
  quickStreamPolicy,
  readText,
  useFakeServer,
} from '../support/providerStreams.js';

const fake = useFakeServer();
let models: Record<'openai' | 'anthropic' | 'google', LanguageModel>;

beforeAll(() => {
  (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
  const server = fake();
  const apiKey = 'test-key';
  models = {
    openai: createOpenAI({ apiKey, baseURL: server.baseURL }).chat('gpt-test'),
    anthropic: createAnthropic({ apiKey, baseURL: `${server.origin}/v1` })('claude-sonnet-4-0'),
    google: createGoogleGenerativeAI({ apiKey, baseURL: `${server.origin}/v1beta` })(
      'gemini-2.5-flash',
    ),
  };
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

    itGuardsProviderStream({
      server: fake,
      open: (context) => fullStream(models[provider])(context),
      textOf,
      errorKind: provider === 'openai' ? 'server' : 'overloaded',
      // The AI SDK throws a dropped connection as an APICallError of status 200 whose cause is
      // the network error: checked below, its kind is the classification's business.
      dropKind: false,
      thinks: provider !== 'openai',
    });

    it('throws a dropped connection with the network error as the cause of its cause', async () => {
      fake().setScript(replies.stream({ chunks: ['a', 'b', 'c'], dropAfter: 2 }));
      const { policy } = quickStreamPolicy();
      const { error } = await readText(await policy.execute(fn()), textOf);
      const { cause } = error as StreamInterruptedError;
      expect(APICallError.isInstance(cause)).toBe(true);
      expect((cause as Error).cause).toMatchObject({ name: 'TypeError', message: 'terminated' });
    });

    it('starts with start and start-step, ends with its finish part', async () => {
      fake().setScript(replies.stream({ chunks: ['Hello', ' there'] }));
      const { policy } = quickStreamPolicy();
      const parts: string[] = [];
      const { error } = await readText(await policy.execute(fn()), (part) => {
        parts.push(part.type);
        return textOf(part);
      });
      expect(error).toBeUndefined();
      expect(parts.slice(0, 2)).toEqual(['start', 'start-step']);
      expect(parts.at(-1)).toBe('finish');
    });

    it('retries a 503 before the first token: no empty answer', async () => {
      fake().setScript([replies.overloaded(), replies.stream({ chunks: ['fine'] })]);
      const { policy, events } = quickStreamPolicy();
      const { text, error } = await readText(await policy.execute(fn()), textOf);
      expect(error).toBeUndefined();
      expect(text).toEqual(['fine']);
      expect(fake().requests).toHaveLength(2);
      const retries = events.filter(([name]) => name === 'retry');
      expect(retries).toHaveLength(1);
    });

    it('rejects with the APICallError when every attempt gets a 503', async () => {
      fake().setScript(replies.overloaded());
      const { policy } = quickStreamPolicy({ retry: { maxRetries: 1 } });
      const failure = await policy.execute(fn()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(APICallError.isInstance(failure)).toBe(true);
      expect(failure).toMatchObject({ statusCode: 503 });
      expect(fake().requests).toHaveLength(2);
    });

    it('throws the error part after the first token: its APICallError, or a StreamEventError', async () => {
      fake().setScript(replies.stream({ chunks: ['a', 'b', 'c'], errorAfter: 2 }));
      const { policy } = quickStreamPolicy();
      const { error } = await readText(await policy.execute(fn()), textOf);
      const { cause } = expectInterrupted(error, provider === 'openai' ? 'server' : 'overloaded');
      // The Google provider makes an APICallError of Gemini's error chunk; the others hand on
      // the SSE error payload as it came.
      if (provider === 'google') expect(APICallError.isInstance(cause)).toBe(true);
      else expect(cause).toBeInstanceOf(StreamEventError);
    });

    it('retries a stream cut cleanly before the first token', async () => {
      fake().setScript([
        replies.stream({ chunks: ['lost'], cutAfter: 0 }),
        replies.stream({ chunks: ['fine'] }),
      ]);
      const { policy } = quickStreamPolicy();
      const { text, error } = await readText(await policy.execute(fn()), textOf);
      expect(error).toBeUndefined();
      expect(text).toEqual(['fine']);
      expect(fake().requests).toHaveLength(2);
    });
  },
);
