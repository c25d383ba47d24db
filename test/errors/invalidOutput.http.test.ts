import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError } from '../../src/errors/classifyError.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';
import { thrownBy } from './providerFixtures.js';

const request = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Name a colour as JSON.' }],
  response_format: {
    type: 'json_schema' as const,
    json_schema: {
      name: 'colour',
      strict: true,
      schema: {
        type: 'object',
        properties: { colour: { type: 'string' } },
        required: ['colour'],
        additionalProperties: false,
      },
    },
  },
};

let fake: FakeOpenAI;
let client: OpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  client = new OpenAI({ apiKey: 'sk-test-key', baseURL: fake.baseURL, maxRetries: 0 });
});
afterAll(async () => {
  await fake.close();
});

describe('a structured output that is not valid JSON (chat.completions.parse)', () => {
  it('is invalid_output: retried, not a breaker failure', async () => {
    fake.setScript(replies.ok({ content: 'Sure! The colour is {"colour": "teal"' }));
    const error = await thrownBy(() => client.chat.completions.parse(request));
    expect(error).toBeInstanceOf(SyntaxError);
    expect(classifyError(error)).toMatchObject({
      kind: 'invalid_output',
      retryable: true,
      breakerFailure: false,
    });
  });

  it('the chat policy retries it and returns the parsed answer of the next attempt', async () => {
    fake.setScript([
      replies.ok({ content: 'not JSON at all' }),
      replies.ok({ content: '{"colour":"teal"}' }),
    ]);
    const before = fake.requests.length;
    const policy = createChatPolicy({ retry: { initialDelayMs: 1 } });
    const completion = await policy.execute(({ signal }) =>
      client.chat.completions.parse(request, { signal }),
    );
    expect(completion.choices[0]?.message.parsed).toEqual({ colour: 'teal' });
    expect(fake.requests.length - before).toBe(2);
  });

  it('a SyntaxError that is not about JSON stays unknown', () => {
    let error: unknown;
    try {
      new Function('return (');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SyntaxError);
    expect(classifyError(error).kind).toBe('unknown');
  });
});
