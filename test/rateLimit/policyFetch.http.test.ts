import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { generateText } from 'ai';
import { countTokens as gptCountTokens } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { LlmPolicy } from '../../src/pipeline/LlmPolicy.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { createStreamPolicy } from '../../src/policies/stream.js';
import {
  DEFAULT_CONTENT,
  type FakeOpenAI,
  replies,
  startFakeOpenAI,
} from '../../src/testing/index.js';

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** A server taking 4 requests a second, 1 left at the start, that reports them in its headers. */
async function limitedServer(headers: 'openai' | 'anthropic'): Promise<FakeOpenAI> {
  fake = await startFakeOpenAI({
    rateLimits: {
      requestsPerMinute: 240,
      tokensPerMinute: 10_000_000,
      startRequests: 1,
      headers,
    },
  });
  return fake;
}

type Send = (policy: LlmPolicy, withFetch: boolean, server: FakeOpenAI) => () => Promise<unknown>;

const SDKS: Record<
  'openai' | '@anthropic-ai/sdk' | '@ai-sdk/openai',
  [Send, 'openai' | 'anthropic']
> = {
  openai: [
    (policy, withFetch, server) => {
      const client = new OpenAI({
        apiKey: 'sk-test',
        baseURL: server.baseURL,
        maxRetries: 0,
        ...(withFetch ? { fetch: policy.fetch } : {}),
      });
      return () =>
        policy.execute(({ signal }) =>
          client.chat.completions.create(
            { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 },
            { signal },
          ),
        );
    },
    'openai',
  ],
  '@anthropic-ai/sdk': [
    (policy, withFetch, server) => {
      const client = new Anthropic({
        apiKey: 'sk-ant-test',
        baseURL: server.origin,
        maxRetries: 0,
        ...(withFetch ? { fetch: policy.fetch } : {}),
      });
      return () =>
        policy.execute(({ signal }) =>
          client.messages.create(
            {
              model: 'claude-sonnet-4-0',
              max_tokens: 50,
              messages: [{ role: 'user', content: 'hi' }],
            },
            { signal },
          ),
        );
    },
    'anthropic',
  ],
  '@ai-sdk/openai': [
    (policy, withFetch, server) => {
      const provider = createOpenAI({
        apiKey: 'sk-test',
        baseURL: server.baseURL,
        ...(withFetch ? { fetch: policy.fetch } : {}),
      });
      return () =>
        policy.execute(({ signal }) =>
          generateText({
            model: provider.chat('gpt-4o-mini'),
            prompt: 'hi',
            maxRetries: 0,
            abortSignal: signal,
          }),
        );
    },
    'openai',
  ],
};

/** One call, then six at once; returns the requests the server saw and the gate's waits. */
async function burst(sdk: keyof typeof SDKS, withFetch: boolean) {
  const [send, headers] = SDKS[sdk];
  const server = await limitedServer(headers);
  const policy = createChatPolicy({ retry: { initialDelayMs: 10 }, name: `${sdk}-${withFetch}` });
  const waits: number[] = [];
  policy.events.on('gateWait', (e) => waits.push(e.waitMs));
  const call = send(policy, withFetch, server);
  await call();
  await Promise.all(Array.from({ length: 6 }, () => call()));
  return { requests: server.requests.length, waits };
}

describe.each(Object.keys(SDKS) as (keyof typeof SDKS)[])(
  'policy.fetch on the real %s client, over HTTP',
  (sdk) => {
    it('holds callers while the reported remaining requests are spent, so that none meets a 429', async () => {
      const { requests, waits } = await burst(sdk, true);
      expect(requests).toBe(7);
      // Hardly any request was left: most of the six waited for one, 250 ms apart.
      expect(waits.filter((ms) => ms >= 100).length).toBeGreaterThanOrEqual(3);
    });

    it('without it, the same calls meet 429s', async () => {
      const { requests } = await burst(sdk, false);
      expect(requests).toBeGreaterThan(7);
    });
  },
);

describe('policy.fetch leaves requests and responses as they are', () => {
  it('sends the request unchanged and returns the response unread', async () => {
    fake = await startFakeOpenAI();
    const policy = createChatPolicy();
    const body = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 7,
    });
    const response = await policy.fetch(`${fake.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
      body,
    });
    expect(response.bodyUsed).toBe(false);
    expect(fake.requests[0]?.body).toEqual(JSON.parse(body));
    const json = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(json.choices[0]?.message.content).toBe(DEFAULT_CONTENT);
  });

  it('sends a body that is not a string as it is, without an estimate', async () => {
    fake = await startFakeOpenAI();
    const policy = createChatPolicy();
    const body = new TextEncoder().encode(JSON.stringify({ model: 'm', messages: [] }));
    const response = await policy.fetch(`${fake.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);
    expect(fake.requests[0]?.body).toEqual({ model: 'm', messages: [] });
    await response.text();
  });

  it('rejects with the network error itself when the request fails', async () => {
    const policy = createChatPolicy();
    await expect(
      policy.fetch('http://127.0.0.1:1/v1/chat/completions', { method: 'POST', body: '{}' }),
    ).rejects.toThrow(TypeError);
  });

  it('streams through it: the openai SDK reads every chunk through a stream policy', async () => {
    fake = await startFakeOpenAI({ script: replies.stream({ chunkDelayMs: 5 }) });
    const policy = createStreamPolicy();
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: fake.baseURL,
      maxRetries: 0,
      fetch: policy.fetch,
    });
    const stream = await policy.execute(({ signal }) =>
      client.chat.completions.create(
        {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal },
      ),
    );
    let text = '';
    let usage: number | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage?.total_tokens ?? usage;
    }
    expect(text).toBe(DEFAULT_CONTENT);
    expect(usage).toBeGreaterThan(0);
  });

  it('forwards to fetch unchanged on a policy without a gate', async () => {
    fake = await startFakeOpenAI();
    const policy = createChatPolicy({ rateLimit: false });
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: fake.baseURL,
      maxRetries: 0,
      fetch: policy.fetch,
    });
    const completion = await policy.execute(({ signal }) =>
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        { signal },
      ),
    );
    expect(completion.choices[0]?.message.content).toBe(DEFAULT_CONTENT);
  });
});

describe('usage corrects tokensPerMinute, over HTTP', () => {
  it("gives back what a call declared beyond its reply's usage", async () => {
    fake = await startFakeOpenAI();
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
    const chat = ({ signal }: { signal: AbortSignal }) =>
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        { signal },
      );
    const probe = await chat({ signal: new AbortController().signal });
    const used = probe.usage?.total_tokens ?? 0;
    expect(used).toBeGreaterThan(0);
    const declared = used + 600;
    // A second's worth is `declared`: the first call empties the bucket.
    const policy = createChatPolicy({ rateLimit: { tokensPerMinute: declared * 60 } });
    const waits: number[] = [];
    policy.events.on('gateWait', (e) => waits.push(e.waitMs));
    await policy.execute(chat, { tokens: declared });
    await policy.execute(chat, { tokens: 600 });
    // Without the correction the second call would wait 600 / declared of a second (> 900 ms).
    expect(waits[1]).toBeLessThan(300);
    const uncorrected = createChatPolicy({ rateLimit: { tokensPerMinute: declared * 60 } });
    const slow: number[] = [];
    uncorrected.events.on('gateWait', (e) => slow.push(e.waitMs));
    await uncorrected.execute(() => ({ choices: [] }), { tokens: declared });
    await uncorrected.execute(() => ({ choices: [] }), { tokens: 600 });
    expect(slow[1]).toBeGreaterThan(500);
  });
});

describe('policy.fetch estimates a request from its body', () => {
  it("counts the prompt with the policy's countTokens (gpt-tokenizer here)", async () => {
    fake = await startFakeOpenAI();
    const counted: [string, number][] = [];
    const policy = createChatPolicy({
      rateLimit: {
        countTokens: (text) => {
          const tokens = gptCountTokens(text);
          counted.push([text, tokens]);
          return tokens;
        },
      },
    });
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: fake.baseURL,
      maxRetries: 0,
      fetch: policy.fetch,
    });
    const prompt = 'Tokenizers split words like "unbelievably" into several pieces.';
    await policy.execute(({ signal }) =>
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], max_tokens: 20 },
        { signal },
      ),
    );
    expect(counted).toEqual([[prompt, gptCountTokens(prompt)]]);
  });
});
