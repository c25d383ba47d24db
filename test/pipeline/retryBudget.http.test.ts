import { describe, expect, it } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/index.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { replies } from '../../src/testing/index.js';
import { useScriptedChat } from '../support/fakeServer.js';
import { outcome, recordEvents } from '../support/pipeline.js';

// The retry budget with the real openai client (its own retries off) over real HTTP against the
// fake server, in real time.

const serve = useScriptedChat();

const QUICK = { initialDelayMs: 20, maxDelayMs: 40 };

describe('the retry budget over real HTTP', () => {
  it('stops retrying a failing server once the budget is spent: the server sees no more', async () => {
    const { server, chat } = await serve(replies.serverError());
    // No share of the calls, 0.2 retries a second over 10 s: two retries in all.
    const policy = createChatPolicy({
      retry: QUICK,
      circuitBreaker: false,
      retryBudget: { percent: 0, minPerSec: 0.2, windowMs: 10_000 },
    });
    const events = recordEvents(policy);
    for (let i = 0; i < 3; i++) {
      const { error } = await outcome(policy.execute(chat));
      expect(classifyOpenAIError(error)).toMatchObject({ kind: 'server', status: 500 });
    }
    expect(server.requests).toHaveLength(5);
    const giveUps = events.filter(([name]) => name === 'giveUp').map(([, e]) => e);
    expect(giveUps).toEqual([
      expect.objectContaining({ attempts: 3, why: 'retry_budget' }),
      expect.objectContaining({ attempts: 1, why: 'retry_budget' }),
      expect.objectContaining({ attempts: 1, why: 'retry_budget' }),
    ]);
  });

  it('gives a lone failure of the preset all its retries', async () => {
    const { server, chat } = await serve([
      replies.serverError(),
      replies.serverError(),
      replies.serverError(),
      replies.serverError(),
      replies.ok(),
    ]);
    const policy = createChatPolicy({ retry: QUICK, circuitBreaker: false });
    const reply = await policy.execute(chat);
    expect(reply.choices[0]?.message.content).toBeTypeOf('string');
    expect(server.requests).toHaveLength(5);
  });

  it('does not spend the budget on retries the rate-limit gate holds after a 429', async () => {
    const { server, chat } = await serve([
      replies.rateLimit({ retryAfterMs: 50 }),
      replies.rateLimit({ retryAfterMs: 50 }),
      replies.ok(),
    ]);
    const policy = createChatPolicy({
      retry: QUICK,
      retryBudget: { percent: 0, minPerSec: 0 },
    });
    await policy.execute(chat);
    expect(server.requests).toHaveLength(3);
  });
});
