import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, replies, startFakeOpenAI } from '../../src/testing/index.js';

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const chat = (server: FakeOpenAI, maxTokens: number, path = '/v1/chat/completions') =>
  fetch(`${server.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      max_tokens: maxTokens,
      messages: [{ role: 'user', content: 'abcdefgh' }], // 2 tokens at 4 characters a token
    }),
  });

describe('startFakeOpenAI({ rateLimits })', () => {
  it("charges each request its max_tokens plus its prompt's length, and reports the buckets in x-ratelimit-* headers", async () => {
    const started = performance.now();
    fake = await startFakeOpenAI({
      rateLimits: { requestsPerMinute: 60, tokensPerMinute: 6_000, startTokens: 1_000 },
    });
    const first = await chat(fake, 598);
    const elapsedSec = (performance.now() - started) / 1000;
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('6000');
    // 1,000 less 600, plus the refill (100 a second) since the server started.
    const remaining = Number(first.headers.get('x-ratelimit-remaining-tokens'));
    expect(remaining).toBeGreaterThanOrEqual(400);
    expect(remaining).toBeLessThanOrEqual(400 + 100 * elapsedSec);
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('59');
    expect(first.headers.get('x-ratelimit-reset-tokens')).toMatch(/^\d+(\.\d+)?s$|^\d+m/);
    await first.text();
    const refused = await chat(fake, 5_000);
    expect(refused.status).toBe(429);
    // About 4,600 tokens missing at 100 a second.
    const hint = Number(refused.headers.get('retry-after-ms'));
    expect(hint).toBeGreaterThan(30_000);
    expect(refused.headers.get('x-ratelimit-remaining-tokens')).not.toBe(null);
    const body = (await refused.json()) as { error: { code: string } };
    expect(body.error.code).toBe('rate_limit_exceeded');
  });

  it('refuses once the request bucket is empty, without asking the script', async () => {
    fake = await startFakeOpenAI({
      script: [replies.serverError(), replies.ok()],
      rateLimits: { requestsPerMinute: 6, tokensPerMinute: 1_000_000, startRequests: 1 },
    });
    expect((await chat(fake, 1)).status).toBe(500);
    expect((await chat(fake, 1)).status).toBe(429);
  });

  it("sends Anthropic's anthropic-ratelimit-* headers instead when asked, resets as RFC 3339 times", async () => {
    fake = await startFakeOpenAI({
      rateLimits: { requestsPerMinute: 50, tokensPerMinute: 40_000, headers: 'anthropic' },
    });
    const reply = await chat(fake, 10, '/v1/messages');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('anthropic-ratelimit-requests-remaining')).toBe('49');
    expect(Date.parse(reply.headers.get('anthropic-ratelimit-tokens-reset') ?? '')).toBeGreaterThan(
      Date.now() - 1000,
    );
    expect(reply.headers.get('x-ratelimit-remaining-requests')).toBe(null);
  });

  it("refuses with Anthropic's rate_limit_error under Anthropic's headers", async () => {
    fake = await startFakeOpenAI({
      rateLimits: {
        requestsPerMinute: 1,
        tokensPerMinute: 40_000,
        startRequests: 0,
        headers: 'anthropic',
      },
    });
    const reply = await chat(fake, 10, '/v1/messages');
    expect(reply.status).toBe(429);
    expect(reply.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    const body = (await reply.json()) as { error: { type: string } };
    expect(body.error.type).toBe('rate_limit_error');
  });

  it('refuses bad options at once, naming them', () => {
    expect(() =>
      startFakeOpenAI({ rateLimits: { requestsPerMinute: 0, tokensPerMinute: 1 } }),
    ).toThrow(/startFakeOpenAI: rateLimits\.requestsPerMinute must be a finite number > 0, got 0/);
    expect(() =>
      startFakeOpenAI({
        rateLimits: { requestsPerMinute: 1, tokensPerMinute: 1, headers: 'groq' as 'openai' },
      }),
    ).toThrow(/rateLimits\.headers/);
  });
});
