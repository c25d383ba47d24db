import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/index.js';
import { RateLimitGate, type RateLimitOptions } from '../../src/rateLimit/index.js';
import { type FakeOpenAI, schedules, startFakeOpenAI } from '../../src/testing/index.js';

/**
 * The gate with the real openai client over real HTTP against the fake server's token bucket, in
 * real time: a scaled-down S1 storm (50 requests/s, burst 50, 150 calls fired at once; the physical
 * limit is 2 s). Each call retries 429s through the gate, as the pipeline does.
 */
const RATE = 50;
const CALLS = 150;

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function storm(options: RateLimitOptions) {
  fake = await startFakeOpenAI({
    script: schedules.tokenBucket({ ratePerSec: RATE, burst: RATE }),
  });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
  const events: string[] = [];
  const gate = new RateLimitGate(options, (event) => events.push(event.type));
  const call = async () => {
    for (;;) {
      await gate.acquire(undefined);
      try {
        await client.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
        });
        gate.onSuccess();
        return;
      } catch (error) {
        const reason = classifyOpenAIError(error);
        if (reason.kind !== 'rate_limit') throw error;
        gate.onRateLimited(reason);
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CALLS }, call));
  return {
    makespanMs: performance.now() - start,
    requestsPerCall: fake.requests.length / CALLS,
    events,
  };
}

describe('RateLimitGate over real HTTP against a token-bucket server', () => {
  it('cold: after the first wave nothing much is wasted, and the calls finish near the limit', async () => {
    const result = await storm({});
    // the first wave is all 150 (nothing is known yet), then about one request per remaining call
    expect(result.requestsPerCall).toBeLessThanOrEqual(2.0);
    // The bench holds the 11 s / 9 s target; here, on a machine shared with other test files, the
    // process itself reads the 150 replies late (3.5 to 4.8 s seen under load, with the gate as it
    // is and as it was), so the bound is twice the limit plus a second: a naive loop's waits of a
    // second and more per retry take far longer.
    expect(result.makespanMs).toBeLessThan(2 * 2000 + 1000);
    expect(result.events).toContain('rateLimited');
    expect(result.events).toContain('paced');
  });

  it('with a matching requestsPerMinute budget, almost nothing is rate-limited', async () => {
    const result = await storm({ requestsPerMinute: RATE * 60 });
    // The 1.05 target is the bench's (npm run bench) and the fake-time simulation's; over real HTTP
    // on a loaded machine, late timers let a few requests meet an empty server bucket (1.0533 seen
    // once), so this bound only checks that the budget keeps almost every call to one request
    // (without it, the cold storm costs up to 2.0).
    expect(result.requestsPerCall).toBeLessThanOrEqual(1.15);
    expect(result.makespanMs).toBeLessThan(2000 * (10.5 / 9) + 1000);
  });
});
