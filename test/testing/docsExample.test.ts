// The example of docs/testing.md, run as a test (only the import paths differ).
import { ExponentialBackoff, type IPolicy, retry, wrap } from 'cockatiel';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyOpenAIError, retryableOpenAIErrors } from '../../src/errors/index.js';
import {
  chaos,
  type FakeOpenAI,
  replies,
  schedules,
  startFakeOpenAI,
} from '../../src/testing/index.js';

// --- answer.ts: the code under test ---------------------------------------------------------
const retryPolicy = retry(retryableOpenAIErrors, {
  maxAttempts: 2,
  backoff: new ExponentialBackoff({ initialDelay: 10, maxDelay: 50 }),
});

async function answer(client: OpenAI, question: string, policy: IPolicy = retryPolicy) {
  try {
    const completion = await policy.execute(({ signal }) =>
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: question }] },
        { signal },
      ),
    );
    return completion.choices[0]?.message.content ?? '';
  } catch (error) {
    if (classifyOpenAIError(error).kind === 'quota') return 'Sorry, we are out of credit.';
    throw error;
  }
}

// --- answer.test.ts: against the fake server -------------------------------------------------
describe('answer, against the fake OpenAI server', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;

  beforeEach(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ apiKey: 'test', baseURL: fake.baseURL, maxRetries: 0 });
  });
  afterEach(() => fake.close());

  it('retries a rate limit, then answers', async () => {
    fake.setScript(
      schedules.failFirst(
        2,
        replies.rateLimit({ retryAfterMs: 20 }),
        replies.ok({ content: 'Paris' }),
      ),
    );
    expect(await answer(client, 'Capital of France?')).toBe('Paris');
    expect(fake.requests).toHaveLength(3);
  });

  it('answers the quota error with a message, without retrying', async () => {
    fake.setScript(replies.quota());
    expect(await answer(client, 'Capital of France?')).toBe('Sorry, we are out of credit.');
    expect(fake.requests).toHaveLength(1);
  });
});

// --- answer.chaos.test.ts: in process, with chaos --------------------------------------------
describe('answer, with chaos', () => {
  // Never called: chaos throws before the request is sent.
  const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1' });

  it('answers the quota error with a message', async () => {
    const policy = wrap(retryPolicy, chaos({ error: 'quota' }));
    expect(await answer(client, 'hi', policy)).toBe('Sorry, we are out of credit.');
  });

  it('gives up after three overloaded attempts', async () => {
    const injector = chaos({ error: 'overloaded' });
    let attempts = 0;
    injector.onFailure(() => attempts++);
    await expect(answer(client, 'hi', wrap(retryPolicy, injector))).rejects.toMatchObject({
      status: 503,
    });
    expect(attempts).toBe(3);
  });
});
