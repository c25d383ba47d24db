// Testing your own code against API failures with the fake OpenAI server: the real openai client,
// real HTTP on 127.0.0.1, scripted failures. (docs/testing.md shows the same in vitest.)
//
//   node --import tsx examples/own-code.ts
//
// The checks always use the fake server: the real API cannot be told to fail. With
// OPENAI_API_KEY set, the last step also calls the real API once (model OPENAI_MODEL, default
// gpt-4o-mini). In your code, import from 'llm-resilience' and 'llm-resilience/testing'.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { chatPolicy, classifyOpenAIError, createChatPolicy, type LlmPolicy } from '../src/index.js';
import {
  type FakeOpenAI,
  replies,
  type Script,
  schedules,
  startFakeOpenAI,
} from '../src/testing/index.js';
import { openTarget } from './target.js';

const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';

// --- The code under test: yours. It takes the client and the policy as arguments, so a test
// can point it at the fake server and give it short delays. ---------------------------------
const OUT_OF_CREDIT = 'Summaries are unavailable right now (out of credit).';

async function summarize(client: OpenAI, text: string, policy: LlmPolicy = chatPolicy) {
  try {
    const completion = await policy.execute(({ signal }) =>
      client.chat.completions.create(
        { model, messages: [{ role: 'user', content: `Summarize in one line: ${text}` }] },
        { signal },
      ),
    );
    return completion.choices[0]?.message.content ?? '';
  } catch (error) {
    // An exhausted quota is not retried (retrying cannot help); the app degrades instead.
    if (classifyOpenAIError(error).kind === 'quota') return OUT_OF_CREDIT;
    throw error;
  }
}

// --- The checks. ---------------------------------------------------------------------------
// A fresh policy per check (its own breaker and gate) with short delays, so checks are quick
// and independent; the stages and decisions are the preset's.
const testPolicy = () =>
  createChatPolicy({
    retry: { initialDelayMs: 10, maxDelayMs: 50 },
    timeout: { attemptMs: 300 },
  });

async function check(
  title: string,
  script: Script,
  body: (client: OpenAI, fake: FakeOpenAI) => Promise<void>,
) {
  const fake = await startFakeOpenAI({ script });
  try {
    await body(new OpenAI({ apiKey: 'fake-key', baseURL: fake.baseURL, maxRetries: 0 }), fake);
    console.log(`ok - ${title}`);
  } finally {
    await fake.close();
  }
}

await check(
  'a 500 is retried and the summary still arrives',
  schedules.failFirst(1, replies.serverError(), replies.ok({ content: 'A short summary.' })),
  async (client, fake) => {
    assert.equal(await summarize(client, 'a long text', testPolicy()), 'A short summary.');
    assert.equal(fake.requests.length, 2);
  },
);

await check(
  'an exhausted quota is answered at once, with one request',
  replies.quota(),
  async (client, fake) => {
    assert.equal(await summarize(client, 'a long text', testPolicy()), OUT_OF_CREDIT);
    assert.equal(fake.requests.length, 1);
  },
);

await check(
  'a text too long for the model fails at once, not retried',
  replies.contextLength(),
  async (client, fake) => {
    await assert.rejects(summarize(client, 'a very long text', testPolicy()), (error) => {
      assert.equal(classifyOpenAIError(error).kind, 'context_length');
      return true;
    });
    assert.equal(fake.requests.length, 1);
  },
);

await check(
  'a hanging request is cut by the attempt timeout and retried',
  schedules.sequence(replies.hang(), replies.ok({ content: 'Late but there.' })),
  async (client, fake) => {
    assert.equal(await summarize(client, 'a long text', testPolicy()), 'Late but there.');
    assert.equal(fake.requests.length, 2);
    assert.equal(fake.requests[0]?.clientClosed, true); // the timed-out request was really stopped
  },
);

// The same code against the target of the other examples: the real API when OPENAI_API_KEY is set.
const target = await openTarget(replies.ok({ content: 'Resilience, in one line.' }));
try {
  const summary = await summarize(target.client, 'Retries, timeouts and circuit breakers.');
  assert.ok(summary.length > 0);
  console.log(`ok - summarize against the ${target.live ? 'real API' : 'fake server'}: ${summary}`);
} finally {
  await target.close();
}
