import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyEvent } from '../../src/events.js';
import { logEvents } from '../../src/logEvents.js';
import {
  createFallbackPolicy,
  type FallbackPolicyOptions,
} from '../../src/pipeline/LlmFallbackPolicy.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { createStreamPolicy } from '../../src/policies/stream.js';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';

let primary: FakeOpenAI;
let secondary: FakeOpenAI;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  [primary, secondary] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: primary.baseURL, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: secondary.origin, maxRetries: 0 });
});
afterAll(async () => {
  await Promise.all([primary?.close(), secondary?.close()]);
});
beforeEach(() => {
  primary.setScript(replies.ok({ content: 'from gpt' }));
  secondary.setScript(replies.ok({ content: 'from claude' }));
  primary.requests.length = 0;
  secondary.requests.length = 0;
});

type Messages = { role: 'user'; content: string }[];
const PROMPT = 'my secret prompt 1717';
const messages: Messages = [{ role: 'user', content: PROMPT }];

/** Chat policies with short waits; the breaker rests 1 s, longer than six calls on a loaded machine. */
const quickChat = (name: string) =>
  createChatPolicy({
    name,
    retry: { maxRetries: 2, initialDelayMs: 20, maxDelayMs: 50 },
    circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 1_000, maxHalfOpenAfterMs: 1_000 },
  });

function askPolicy(options: Pick<FallbackPolicyOptions<Messages>, 'fallbackOn'> = {}) {
  const openaiPolicy = quickChat('openai');
  const anthropicPolicy = quickChat('anthropic');
  const ask = createFallbackPolicy<Messages, unknown>({
    name: 'ask',
    ...options,
    routes: [
      {
        name: 'gpt-4.1',
        policy: openaiPolicy,
        maxWaitMs: 1000,
        call: async (input, { signal }) => {
          const c = await openai.chat.completions.create(
            { model: 'gpt-4.1', messages: input },
            { signal },
          );
          return c.choices[0]?.message.content;
        },
      },
      {
        name: 'claude',
        policy: anthropicPolicy,
        call: async (input, { signal }) => {
          const m = await anthropic.messages.create(
            { model: 'claude-sonnet-4-20250514', max_tokens: 64, messages: input },
            { signal },
          );
          const block = m.content[0];
          return block?.type === 'text' ? block.text : undefined;
        },
      },
    ],
  });
  const fallbacks: PolicyEvent<'fallback'>[] = [];
  ask.events.on('fallback', (e) => fallbacks.push(e));
  // Every event of the three policies, at every level, as logEvents hands them out.
  const logged: unknown[] = [];
  const keep = (...args: unknown[]) => logged.push(args);
  const logger = { debug: keep, info: keep, warn: keep, error: keep };
  for (const policy of [ask, openaiPolicy, anthropicPolicy]) {
    logEvents(policy, logger, { format: 'object' });
  }
  return { ask, openaiPolicy, fallbacks, logged };
}

describe('createFallbackPolicy with the real openai and Anthropic clients', () => {
  it('goes on through the second route while the first is down, then back once it is healthy', async () => {
    const { ask, openaiPolicy, fallbacks, logged } = askPolicy();
    primary.setScript(replies.serverError());
    for (let i = 0; i < 6; i++) {
      await expect(ask.execute(messages)).resolves.toEqual({
        value: 'from claude',
        route: 'claude',
      });
    }
    expect(fallbacks[0]).toMatchObject({ policy: 'ask', from: 'gpt-4.1', to: 'claude' });
    expect(fallbacks[0]?.reason.kind).toBe('server');
    // Three failures open the breaker: later calls skip the route without a request.
    expect(openaiPolicy.circuitState).toBe('open');
    expect(primary.requests).toHaveLength(3);
    expect(fallbacks.at(-1)?.reason.kind).toBe('aborted');

    primary.setScript(replies.ok({ content: 'from gpt' }));
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    // The breaker's trial call goes to the first route, and traffic stays there.
    await expect(ask.execute(messages)).resolves.toEqual({ value: 'from gpt', route: 'gpt-4.1' });
    await expect(ask.execute(messages)).resolves.toEqual({ value: 'from gpt', route: 'gpt-4.1' });
    expect(openaiPolicy.circuitState).toBe('closed');
    expect(primary.requests).toHaveLength(5);
    expect(secondary.requests).toHaveLength(6);
    // No key, no prompt and no answer in any event.
    const events = JSON.stringify(logged);
    expect(events).toContain('"fallback"');
    for (const secret of ['sk-test', 'sk-ant-test', 'Bearer', PROMPT, 'from gpt', 'from claude']) {
      expect(events).not.toContain(secret);
    }
  });

  it('moves on after one request on a quota error', async () => {
    const { ask, fallbacks } = askPolicy();
    primary.setScript(replies.quota());
    await expect(ask.execute(messages)).resolves.toEqual({ value: 'from claude', route: 'claude' });
    expect(primary.requests).toHaveLength(1);
    expect(fallbacks.map((e) => e.reason.kind)).toEqual(['quota']);
  });

  it('skips a route whose breaker is open without sending it a request', async () => {
    const { ask, openaiPolicy, fallbacks } = askPolicy();
    primary.setScript(replies.serverError());
    await expect(
      openaiPolicy.execute(({ signal }) =>
        openai.chat.completions.create({ model: 'gpt-4.1', messages }, { signal }),
      ),
    ).rejects.toThrow();
    expect(openaiPolicy.circuitState).toBe('open');
    primary.requests.length = 0;
    await expect(ask.execute(messages)).resolves.toEqual({ value: 'from claude', route: 'claude' });
    expect(primary.requests).toHaveLength(0);
    expect(fallbacks.map((e) => e.reason.kind)).toEqual(['aborted']);
  });

  it('spills over at once on a 429 asking for a wait longer than the route accepts', async () => {
    const { ask, fallbacks } = askPolicy();
    primary.setScript(replies.rateLimit({ retryAfterMs: 20_000 }));
    const startedAt = Date.now();
    await expect(ask.execute(messages)).resolves.toEqual({ value: 'from claude', route: 'claude' });
    // Later calls meet the closed gate and move on without a request either.
    await expect(ask.execute(messages)).resolves.toEqual({ value: 'from claude', route: 'claude' });
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(primary.requests).toHaveLength(1);
    expect(fallbacks.map((e) => e.reason.kind)).toEqual(['rate_limit', 'rate_limit']);
  });

  it('spills over at once when the route’s requestsPerMinute budget is spent; waits when it accepts the wait', async () => {
    const toSecondary = new OpenAI({
      apiKey: 'sk-test',
      baseURL: secondary.baseURL,
      maxRetries: 0,
    });
    const ask = (maxWaitMs: number | undefined) => {
      // 30 requests a minute: once the first is sent, the next may go 2 s later.
      const budgeted = createChatPolicy({ name: 'budgeted', rateLimit: { requestsPerMinute: 30 } });
      const via =
        (client: OpenAI) =>
        async (input: Messages, { signal }: { signal: AbortSignal }) => {
          const c = await client.chat.completions.create(
            { model: 'gpt-4.1', messages: input },
            { signal },
          );
          return c.choices[0]?.message.content;
        };
      return createFallbackPolicy<Messages, unknown>({
        routes: [
          {
            name: 'primary',
            policy: budgeted,
            ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
            call: via(openai),
          },
          { name: 'secondary', policy: quickChat('secondary'), call: via(toSecondary) },
        ],
      });
    };
    const spilling = ask(undefined);
    await expect(spilling.execute(messages)).resolves.toMatchObject({ route: 'primary' });
    const spillAt = Date.now();
    await expect(spilling.execute(messages)).resolves.toEqual({
      value: 'from claude',
      route: 'secondary',
    });
    const spilledMs = Date.now() - spillAt;
    expect(primary.requests).toHaveLength(1);
    expect(secondary.requests).toHaveLength(1);

    const waiting = ask(5_000);
    // Timed from the first request, when the budget's 2 s start.
    const startedAt = Date.now();
    await expect(waiting.execute(messages)).resolves.toMatchObject({ route: 'primary' });
    await expect(waiting.execute(messages)).resolves.toEqual({
      value: 'from gpt',
      route: 'primary',
    });
    const waitedMs = Date.now() - startedAt;
    expect(primary.requests).toHaveLength(3);
    expect(secondary.requests).toHaveLength(1);
    // The budget held the patient call about 2 s; the spilled call did not wait for it.
    expect(waitedMs).toBeGreaterThanOrEqual(1_900);
    expect(spilledMs).toBeLessThan(waitedMs / 2);
  });

  it('does not fall back on a 400, unless fallbackOn says so', async () => {
    const badRequest = replies.status(400, {
      error: { message: 'bad', type: 'invalid_request_error', code: null, param: null },
    });
    primary.setScript(badRequest);
    const { ask, fallbacks } = askPolicy();
    await expect(ask.execute(messages)).rejects.toMatchObject({ status: 400 });
    expect(secondary.requests).toHaveLength(0);
    expect(fallbacks).toHaveLength(0);

    const lenient = askPolicy({ fallbackOn: (reason) => reason.kind === 'bad_request' });
    await expect(lenient.ask.execute(messages)).resolves.toMatchObject({ route: 'claude' });
    expect(lenient.fallbacks.map((e) => e.reason.kind)).toEqual(['bad_request']);
  });

  it("does not fall back on the caller's abort", async () => {
    const { ask, fallbacks } = askPolicy();
    primary.setScript(replies.hang());
    const controller = new AbortController();
    const reason = new Error('user left');
    setTimeout(() => controller.abort(reason), 50);
    await expect(ask.execute(messages, controller.signal)).rejects.toBe(reason);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(primary.requests).toHaveLength(1);
    expect(secondary.requests).toHaveLength(0);
    expect(fallbacks).toHaveLength(0);
  });

  it('answers a stream from the next route when the first stalls before its first token', async () => {
    primary.setScript(replies.hang());
    secondary.setScript(replies.stream({ chunks: ['from ', 'claude'] }));
    const quickStream = (name: string) =>
      createStreamPolicy({ name, timeout: { firstTokenMs: 150 }, retry: { maxRetries: 1 } });
    const ask = createFallbackPolicy<Messages, AsyncIterable<unknown>>({
      routes: [
        {
          name: 'gpt-4.1',
          policy: quickStream('openai'),
          call: (input, { signal }) =>
            openai.chat.completions.create(
              { model: 'gpt-4.1', messages: input, stream: true },
              { signal },
            ),
        },
        {
          name: 'claude',
          policy: quickStream('anthropic'),
          call: (input, { signal }) =>
            anthropic.messages.create(
              { model: 'claude-sonnet-4-20250514', max_tokens: 64, messages: input, stream: true },
              { signal },
            ),
        },
      ],
    });
    const { value, route } = await ask.execute(messages);
    expect(route).toBe('claude');
    let text = '';
    for await (const event of value as AsyncIterable<Anthropic.RawMessageStreamEvent>) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        text += event.delta.text;
      }
    }
    expect(text).toBe('from claude');
    expect(primary.requests.length).toBeGreaterThanOrEqual(1);
  });
});
