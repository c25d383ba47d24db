import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createChatPolicy } from '../../src/policies/chat.js';
import {
  type FakeOpenAI,
  replies,
  type Schedule,
  type Script,
  schedules,
  startFakeOpenAI,
} from '../../src/testing/index.js';
import { recordEvents } from '../support/pipeline.js';

/**
 * A lone 429 in quiet and in steady traffic, through the chat preset with the real openai client
 * (its own retries off) over real HTTP against the fake server, in real time: the scaled-down
 * S1q and S1r of `npm run bench`, which holds the exact targets. The bounds here are structural
 * (requests, events) or measured against the hint and the same run's own calls, with wide margins:
 * the gate as it was before held each of these calls about 2 s.
 */
const HINT_MS = 100;
const REPLY_MS = 10;

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function serve(script: Script) {
  fake = await startFakeOpenAI({ script });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
  const policy = createChatPolicy();
  const events = recordEvents(policy);
  /** One call through the policy; resolves with its latency in ms. */
  const call = async () => {
    const start = performance.now();
    await policy.execute(({ signal }) =>
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        { signal },
      ),
    );
    return performance.now() - start;
  };
  const named = (name: string) => events.filter(([n]) => n === name);
  return { server: fake, call, named };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a lone 429 over real HTTP', () => {
  it('in a quiet process: the calls after it are not paced, one at a time or ten at once', async () => {
    const { server, call, named } = await serve(
      schedules.failFirst(
        1,
        replies.rateLimit({ retryAfterMs: HINT_MS }),
        replies.delay(REPLY_MS, replies.ok()),
      ),
    );
    expect(await call()).toBeGreaterThanOrEqual(HINT_MS); // the 429, then its retry
    const sequential: number[] = [];
    for (let i = 0; i < 20; i++) sequential.push(await call());
    await sleep(1_500);
    const burstFrom = server.requests.length;
    await Promise.all(Array.from({ length: 10 }, call));

    expect(server.requests).toHaveLength(2 + 20 + 10); // no other 429
    expect(named('rateLimited')).toHaveLength(1);
    expect(named('paced')).toEqual([]); // one request says nothing about a rate
    // 20 calls one at a time took less than 20 hints in all (paced at 0.5/s: 40 s)
    expect(sequential.reduce((a, b) => a + b, 0)).toBeLessThan(20 * HINT_MS);
    // the ten sent at once reached the server within two hints (paced: one every 2 s)
    const burst = server.requests.slice(burstFrom).map((r) => r.time);
    expect(Math.max(...burst) - Math.min(...burst)).toBeLessThan(2 * HINT_MS);
  }, 30_000);

  it('in steady traffic under the limit: once its hint has passed, no call waits', async () => {
    const injectAt = 2_000;
    let injected = false;
    const bucket = schedules.tokenBucket({
      ratePerSec: 5,
      burst: 5,
      // biome-ignore lint/suspicious/noThenProperty: the test kit's option, not a thenable.
      then: replies.delay(REPLY_MS, replies.ok()),
    });
    const script: Schedule = (request, index) => {
      if (injected || request.time < injectAt) return bucket(request, index);
      injected = true;
      return replies.rateLimit({ retryAfterMs: HINT_MS });
    };
    const { server, call, named } = await serve(script);
    const start = performance.now();
    const calls: Promise<{ offeredMs: number; latencyMs: number }>[] = [];
    for (let i = 0; i < 24; i++) {
      // 4 calls a second for 6 s, against 5 a second
      await sleep(start + i * 250 - performance.now());
      const offeredMs = performance.now() - start;
      calls.push(call().then((latencyMs) => ({ offeredMs, latencyMs })));
    }
    const done = await Promise.all(calls);

    expect(server.requests).toHaveLength(24 + 1); // the injected 429 and no other
    expect(named('rateLimited')).toHaveLength(1);
    expect(named('paced')).toEqual([]);
    const before = done.filter((c) => c.offeredMs < injectAt - 100);
    const after = done.filter((c) => c.offeredMs >= injectAt + HINT_MS);
    expect(before.length).toBeGreaterThan(4);
    expect(after.length).toBeGreaterThan(10);
    // nine calls in ten after the hint are no slower than the slowest before the 429 plus one
    // hint (a call or two may meet the machine's own hiccups)
    const slowestBefore = Math.max(...before.map((c) => c.latencyMs));
    const quick = after.filter((c) => c.latencyMs < slowestBefore + HINT_MS);
    expect(quick.length).toBeGreaterThanOrEqual(0.9 * after.length);
  }, 30_000);
});
