import { readFileSync } from 'node:fs';
import { ConstantBackoff, handleAll, retry, wrap } from 'cockatiel';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/index.js';
import {
  chaos,
  errorReplyFor,
  HTTP_ERROR_KINDS,
  replies,
  sdkShapedErrors,
  startFakeOpenAI,
} from '../../src/testing/index.js';

/** Runs `calls` calls through a policy and says, for each, whether the fault was injected. */
async function pattern(policy: ReturnType<typeof chaos>, calls: number): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < calls; i++) {
    let ran = false;
    await policy
      .execute(() => {
        ran = true;
        return 'ok';
      })
      .catch(() => undefined);
    out.push(!ran);
  }
  return out;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('chaos: which calls get the fault', () => {
  it('is deterministic for a seed, differs across seeds and injects about `rate` of calls', async () => {
    const a = await pattern(chaos({ error: 'server', rate: 0.3, seed: 11 }), 300);
    const b = await pattern(chaos({ error: 'server', rate: 0.3, seed: 11 }), 300);
    const c = await pattern(chaos({ error: 'server', rate: 0.3, seed: 12 }), 300);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const injected = a.filter(Boolean).length;
    expect(injected).toBeGreaterThan(60);
    expect(injected).toBeLessThan(120);
  });

  it('rate 0 never injects, rate 1 (the default) always does', async () => {
    expect((await pattern(chaos({ error: 'server', rate: 0, seed: 1 }), 200)).some(Boolean)).toBe(
      false,
    );
    expect((await pattern(chaos({ error: 'server', seed: 1 }), 200)).every(Boolean)).toBe(true);
    expect((await pattern(chaos({ error: 'server' }), 50)).every(Boolean)).toBe(true);
  });

  it('enabled false passes every call through; a function is asked on every call', async () => {
    expect((await pattern(chaos({ error: 'quota', enabled: false }), 50)).some(Boolean)).toBe(
      false,
    );
    let on = false;
    const policy = chaos({ error: 'quota', enabled: () => on });
    expect(await pattern(policy, 2)).toEqual([false, false]);
    on = true;
    expect(await pattern(policy, 2)).toEqual([true, true]);
  });

  it('passes the call its signal and returns its value', async () => {
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const value = await chaos({ error: 'server', rate: 0 }).execute(({ signal }) => {
      seen.push(signal);
      return 42;
    }, controller.signal);
    expect(value).toBe(42);
    expect(seen).toEqual([controller.signal]);
  });
});

describe('chaos: cockatiel policy', () => {
  it('composes inside wrap(): a retry policy outside it retries the injected failures', async () => {
    let calls = 0;
    const injector = chaos({ error: 'overloaded', enabled: () => calls++ < 2 });
    const failures: unknown[] = [];
    let successes = 0;
    injector.onFailure((event) => failures.push(event.reason));
    injector.onSuccess(() => successes++);
    const policy = wrap(
      retry(handleAll, { maxAttempts: 3, backoff: new ConstantBackoff(0) }),
      injector,
    );
    let ran = 0;
    const result = await policy.execute(() => {
      ran++;
      return 'answer';
    });
    expect(result).toBe('answer');
    expect(ran).toBe(1);
    expect(failures).toHaveLength(2);
    expect((failures[0] as { error: unknown }).error).toBeInstanceOf(
      sdkShapedErrors.InternalServerError,
    );
    expect(successes).toBe(1);
  });

  it('rethrows a function-made error as is', async () => {
    const mine = new Error('mine');
    await expect(chaos({ error: () => mine }).execute(() => 1)).rejects.toBe(mine);
  });
});

describe('chaos: latency', () => {
  it('waits latencyMs, then calls through', async () => {
    vi.useFakeTimers();
    const fn = vi.fn(() => 'late');
    const pending = chaos({ latencyMs: 1000 }).execute(fn);
    await vi.advanceTimersByTimeAsync(999);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).resolves.toBe('late');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('an abort cuts the wait short with the signal reason and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const fn = vi.fn(() => 'late');
    const pending = chaos({ latencyMs: 1000 }).execute(fn, controller.signal);
    await vi.advanceTimersByTimeAsync(10);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('chaos: injected errors look like the real SDK errors', () => {
  const sdkError = async (run: (client: OpenAI) => Promise<unknown>, baseURL: string) => {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0, timeout: 200 });
    try {
      await run(client);
    } catch (error) {
      return error;
    }
    throw new Error('expected the SDK to throw');
  };
  const chat = (client: OpenAI, signal?: AbortSignal) =>
    client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      signal ? { signal } : {},
    );
  const injected = async (options: Parameters<typeof chaos>[0]) => {
    try {
      await chaos(options).execute(() => undefined);
    } catch (error) {
      return error;
    }
    throw new Error('expected chaos to throw');
  };
  const withoutRequestId = (c: ReturnType<typeof classifyOpenAIError>) => {
    const { requestId, ...rest } = c;
    return rest;
  };

  it.each(HTTP_ERROR_KINDS)('%s: same class name, fields and classification', async (kind) => {
    const server = await startFakeOpenAI({ script: errorReplyFor(kind) });
    try {
      const real = (await sdkError(chat, server.baseURL)) as InstanceType<typeof OpenAI.APIError>;
      const fake = (await injected({ error: kind })) as sdkShapedErrors.APIError;
      expect(fake.constructor.name).toBe(real.constructor.name);
      expect(fake.message).toBe(real.message);
      expect(fake.status).toBe(real.status);
      expect(fake.error).toEqual(real.error);
      expect([fake.code, fake.type, fake.param]).toEqual([real.code, real.type, real.param]);
      expect(fake.headers).toBeInstanceOf(Headers);
      expect(fake.requestID).toMatch(/^req_/);
      expect(fake.headers?.get('retry-after-ms')).toBe(real.headers?.get('retry-after-ms'));
      const expected = classifyOpenAIError(real);
      expect(expected.kind).toBe(kind);
      expect(withoutRequestId(classifyOpenAIError(fake))).toEqual(withoutRequestId(expected));
      expect(classifyOpenAIError(fake).requestId).toBe(fake.requestID);
    } finally {
      await server.close();
    }
  });

  it('rate_limit carries the given retryAfterMs, read as the wait hint', async () => {
    const fake = await injected({ error: 'rate_limit', retryAfterMs: 1500 });
    expect(classifyOpenAIError(fake)).toMatchObject({ kind: 'rate_limit', retryAfterMs: 1500 });
  });

  it('timeout, connection and aborted: like the SDK errors for a hang, a refused connection, an abort', async () => {
    const server = await startFakeOpenAI({ script: replies.hang() });
    const timeout = await sdkError(chat, server.baseURL);
    const controller = new AbortController();
    const aborting = sdkError((client) => chat(client, controller.signal), server.baseURL);
    setTimeout(() => controller.abort(), 20);
    const aborted = await aborting;
    await server.close();
    const connection = await sdkError(chat, server.baseURL);
    for (const [kind, real] of [
      ['timeout', timeout],
      ['connection', connection],
      ['aborted', aborted],
    ] as const) {
      const fake = await injected({ error: kind });
      expect((fake as Error).constructor.name).toBe((real as Error).constructor.name);
      expect((fake as Error).message).toBe((real as Error).message);
      expect(classifyOpenAIError(real).kind).toBe(kind);
      expect(classifyOpenAIError(fake)).toEqual(classifyOpenAIError(real));
    }
  });

  it('unknown: a plain error the classifier does not know', async () => {
    expect(classifyOpenAIError(await injected({ error: 'unknown' })).kind).toBe('unknown');
  });

  it('chaos does not import openai', () => {
    for (const file of ['chaos.ts', 'sdkShapedErrors.ts', 'errorReplies.ts', 'replies.ts']) {
      const source = readFileSync(new URL(`../../src/testing/${file}`, import.meta.url), 'utf8');
      expect(source).not.toMatch(/from 'openai/);
    }
  });
});

describe('chaos: refuses bad options, naming the field and the value', () => {
  it.each([
    [{ error: 'oops' }, /chaos: error must be one of rate_limit, .* or a function, got "oops"/],
    [{ error: 'server', rate: 1.5 }, /chaos: rate must be a number from 0 to 1, got 1\.5/],
    [{ error: 'server', rate: -0.1 }, /rate .*got -0\.1/],
    [{ error: 'server', seed: Number.NaN }, /chaos: seed must be a finite number, got NaN/],
    [
      { error: 'server', enabled: 'yes' },
      /chaos: enabled must be a boolean or a function .*got "yes"/,
    ],
    [{ latencyMs: -1 }, /chaos: latencyMs must be a finite number >= 0, got -1/],
    [{}, /exactly one of error and latencyMs, got error undefined and latencyMs undefined/],
    [{ error: 'server', latencyMs: 5 }, /exactly one of error and latencyMs/],
    [
      { error: 'server', retryAfterMs: 5 },
      /retryAfterMs must be given with error 'rate_limit' only/,
    ],
    [
      { error: 'rate_limit', retryAfterMs: -5 },
      /retryAfterMs must be a finite number >= 0, got -5/,
    ],
  ])('%j', (options, message) => {
    expect(() => chaos(options as never)).toThrow(TypeError);
    expect(() => chaos(options as never)).toThrow(message);
  });

  it('refuses a non-object', () => {
    expect(() => chaos(undefined as never)).toThrow(
      /chaos: options must be an object, got undefined/,
    );
  });
});
