import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createChatPolicy } from '../../src/policies/chat.js';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';
import { recordEvents } from '../support/pipeline.js';

// Hedging with the real openai client over real HTTP against the fake server, in real time.

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('hedging over real HTTP', () => {
  it('answers from the hedge while the first request hangs, and closes the hung request', async () => {
    fake = await startFakeOpenAI({ script: [replies.hang(), replies.ok()] });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
    const policy = createChatPolicy({ timeout: { attemptMs: 5_000 }, hedge: { delayMs: 200 } });
    const events = recordEvents(policy);
    const startedAt = Date.now();
    const reply = await policy.execute(({ signal }) =>
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        { signal },
      ),
    );
    const elapsed = Date.now() - startedAt;
    expect(reply.choices[0]?.message.content).toBeTypeOf('string');
    // Well before the 5 s attempt timeout a retry would have needed.
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(4_000);
    expect(fake.requests).toHaveLength(2);
    expect(events.map(([name]) => name).filter((n) => n !== 'paced')).toEqual(['hedge', 'success']);
    expect(events.find(([name]) => name === 'success')?.[1]).toMatchObject({ attempts: 2 });
    // The hung request is aborted, so its connection closes.
    const hung = fake.requests[0];
    for (let i = 0; i < 100 && hung?.clientClosed !== true; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(hung?.clientClosed).toBe(true);
    expect(fake.requests[1]?.clientClosed).toBe(false);
  });
});
