import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeOpenAI,
  type RecordedRequest,
  type Reply,
  replies,
  type Schedule,
  schedules,
  startFakeOpenAI,
} from '../../src/testing/index.js';

const at = (time: number): RecordedRequest => ({
  time,
  path: '/v1/chat/completions',
  model: 'gpt-4o-mini',
  stream: false,
  retryCount: 0,
  clientClosed: false,
  body: undefined,
});

/** Runs a schedule over requests arriving at `times`, as the server would. */
const run = (schedule: Schedule, times: number[]): Reply[] =>
  times.map((time, index) => schedule(at(time), index));

const statusOf = (reply: Reply) => (reply.type === 'status' ? reply.status : reply.type);

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function statusesFromServer(script: Schedule, calls: number): Promise<(number | 'ok')[]> {
  fake = await startFakeOpenAI({ script });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
  const out: (number | 'ok')[] = [];
  for (let i = 0; i < calls; i++) {
    try {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
      out.push('ok');
    } catch (error) {
      out.push((error as InstanceType<typeof OpenAI.APIError>).status ?? -1);
    }
  }
  return out;
}

describe('schedules.sequence', () => {
  it('answers in order and repeats the last reply (through the real client)', async () => {
    const statuses = await statusesFromServer(
      schedules.sequence(replies.rateLimit(), replies.serverError(), replies.ok()),
      5,
    );
    expect(statuses).toEqual([429, 500, 'ok', 'ok', 'ok']);
  });

  it('refuses an empty sequence and a bad reply', () => {
    expect(() => schedules.sequence()).toThrow(/at least one reply/);
    expect(() => schedules.sequence(replies.ok(), { type: 'delay', ms: -1 } as never)).toThrow(
      /schedules\.sequence: replies\[1\]\.ms must be a finite number >= 0, got -1/,
    );
  });
});

describe('schedules.failFirst', () => {
  it('fails the first n requests, then recovers', async () => {
    expect(await statusesFromServer(schedules.failFirst(2, replies.overloaded()), 4)).toEqual([
      503,
      503,
      'ok',
      'ok',
    ]);
    expect(run(schedules.failFirst(0, replies.quota()), [0]).map(statusOf)).toEqual(['ok']);
  });

  it('refuses a bad n', () => {
    expect(() => schedules.failFirst(-1, replies.quota())).toThrow(
      /n must be an integer >= 0, got -1/,
    );
    expect(() => schedules.failFirst(1.5, replies.quota())).toThrow(/got 1\.5/);
  });
});

describe('schedules.failFor', () => {
  it('fails for ms from the first request it answers, then recovers', () => {
    const schedule = schedules.failFor(100, replies.serverError(), replies.ok({ content: 'back' }));
    expect(run(schedule, [1000, 1050, 1099.9, 1100, 1500]).map(statusOf)).toEqual([
      500,
      500,
      500,
      'ok',
      'ok',
    ]);
  });

  it('fails over real time through the server', async () => {
    fake = await startFakeOpenAI({ script: schedules.failFor(150, replies.serverError()) });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
    const call = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    await expect(call()).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(call()).resolves.toMatchObject({ object: 'chat.completion' });
  });

  it('refuses a negative duration', () => {
    expect(() => schedules.failFor(-10, replies.serverError())).toThrow(/ms must be .*got -10/);
  });
});

describe('schedules.failRandomly', () => {
  const pattern = (seed: number, fraction = 0.3) =>
    run(
      schedules.failRandomly(fraction, replies.serverError(), { seed }),
      Array.from({ length: 200 }, (_, i) => i),
    ).map(statusOf);

  it('is deterministic for a seed and fails about the given fraction', () => {
    expect(pattern(1)).toEqual(pattern(1));
    expect(pattern(1)).not.toEqual(pattern(2));
    const failures = pattern(1).filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(40);
    expect(failures).toBeLessThan(80);
  });

  it('fraction 0 never fails, 1 always fails', () => {
    expect(pattern(3, 0).every((s) => s === 'ok')).toBe(true);
    expect(pattern(3, 1).every((s) => s === 500)).toBe(true);
  });

  it('refuses a fraction outside [0, 1] and a missing seed', () => {
    expect(() => schedules.failRandomly(1.5, replies.quota(), { seed: 1 })).toThrow(
      /fraction must be a number from 0 to 1, got 1\.5/,
    );
    expect(() => schedules.failRandomly(Number.NaN, replies.quota(), { seed: 1 })).toThrow(/NaN/);
    expect(() => schedules.failRandomly(0.5, replies.quota(), {} as never)).toThrow(
      /options\.seed must be a finite number, got undefined/,
    );
  });
});

describe('schedules.tokenBucket', () => {
  it('lets burst requests through, then answers 429 with the exact wait for the next token', () => {
    const schedule = schedules.tokenBucket({ ratePerSec: 10, burst: 2 });
    const [a, b, c, d, e, f] = run(schedule, [0, 0, 0, 30, 100, 100]);
    expect([a as Reply, b as Reply].map(statusOf)).toEqual(['ok', 'ok']);
    expect(c).toMatchObject({
      status: 429,
      headers: {
        'retry-after-ms': '100',
        'retry-after': '1',
        'x-ratelimit-limit-requests': '2',
        'x-ratelimit-remaining-requests': '0',
      },
    });
    expect(d).toMatchObject({ status: 429, headers: { 'retry-after-ms': '70' } });
    expect(statusOf(e as Reply)).toBe('ok');
    expect(f).toMatchObject({ status: 429, headers: { 'retry-after-ms': '100' } });
  });

  it('rounds retry-after up to whole seconds', () => {
    const schedule = schedules.tokenBucket({ ratePerSec: 0.4 });
    const [, limited] = run(schedule, [0, 0]);
    expect(limited).toMatchObject({ headers: { 'retry-after-ms': '2500', 'retry-after': '3' } });
  });

  it('a client that waits the announced retry-after-ms gets through (real server)', async () => {
    fake = await startFakeOpenAI({ script: schedules.tokenBucket({ ratePerSec: 20, burst: 1 }) });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
    const call = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    await call();
    const error = (await call().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const waitMs = Number(error.headers?.get('retry-after-ms'));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(50);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    await expect(call()).resolves.toMatchObject({ object: 'chat.completion' });
  });

  it('refuses ratePerSec <= 0 and a bad burst', () => {
    expect(() => schedules.tokenBucket({ ratePerSec: 0 })).toThrow(
      /schedules\.tokenBucket: ratePerSec must be a finite number > 0, got 0/,
    );
    expect(() => schedules.tokenBucket({ ratePerSec: 1, burst: 0.5 })).toThrow(
      /burst must be an integer > 0, got 0\.5/,
    );
  });
});
