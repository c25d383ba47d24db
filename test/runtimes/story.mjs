// The story every runtime plays against the fake OpenAI server: the built package (dist/, what is
// published) and the real openai client. It asserts nothing itself: it returns a plain result
// that the Node harness (run.ts) checks, so every runtime meets the same assertions.
import OpenAI from 'openai';
import { classifyOpenAIError, createChatPolicy, createStreamPolicy } from '../../dist/index.js';

/** The fake server answers by model: run.ts scripts one model per scene. */
export const SCENES = ['rateLimit', 'outage', 'hang', 'stall', 'abort'];

const EVENT_NAMES = [
  'retry',
  'giveUp',
  'timeout',
  'break',
  'halfOpen',
  'reset',
  'rateLimited',
  'success',
  'failure',
  'firstToken',
  'streamEnd',
];

const messages = [{ role: 'user', content: 'Hello' }];

/** Records a policy's events as short plain objects, in the order they came. */
function recordEvents(policy) {
  const events = [];
  for (const name of EVENT_NAMES) {
    policy.events.on(name, (e) => {
      events.push({
        name,
        ...(e.reason ? { kind: e.reason.kind } : {}),
        ...(e.scope ? { scope: e.scope } : {}),
        ...(e.delayMs !== undefined ? { delayMs: e.delayMs } : {}),
        ...(e.waitMs !== undefined ? { waitMs: e.waitMs } : {}),
        ...(e.outcome ? { outcome: e.outcome } : {}),
      });
    });
  }
  return events;
}

function describeError(error) {
  return {
    name: error?.name,
    kind: classifyOpenAIError(error).kind,
    message: String(error?.message ?? error).slice(0, 200),
  };
}

/** Runs `call` and reports how it settled and after how long, never throwing. */
async function settle(call) {
  const started = Date.now();
  try {
    const value = await call();
    return { ok: true, value, elapsedMs: Date.now() - started };
  } catch (error) {
    return { ok: false, error: describeError(error), elapsedMs: Date.now() - started };
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function chat(client, policy, model, options) {
  return policy.execute(
    ({ signal }) => client.chat.completions.create({ model, messages }, { signal }),
    options,
  );
}

const text = (completion) => completion.choices[0]?.message.content;

/** A 429 asking for 300 ms, then 200: the retry waits at the gate for the hint. */
async function rateLimit(client) {
  const policy = createChatPolicy({ retry: { initialDelayMs: 10, maxDelayMs: 50 } });
  const events = recordEvents(policy);
  const result = await settle(async () => text(await chat(client, policy, 'rateLimit')));
  return { ...result, events };
}

/** Three 503s open the breaker; a call while it is open sends nothing; after 200 ms it recovers. */
async function outage(client) {
  const policy = createChatPolicy({
    retry: false,
    circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 },
  });
  const events = recordEvents(policy);
  const calls = [];
  const call = () => settle(async () => text(await chat(client, policy, 'outage')));
  for (let i = 0; i < 4; i++) calls.push(await call());
  await sleep(250);
  calls.push(await call());
  return { calls, events };
}

/** The first request never answers: the 300 ms attempt timeout cuts it and the retry succeeds. */
async function hang(client) {
  const policy = createChatPolicy({
    retry: { initialDelayMs: 10, maxDelayMs: 50 },
    timeout: { attemptMs: 300, totalMs: 10_000 },
  });
  const events = recordEvents(policy);
  const result = await settle(async () => text(await chat(client, policy, 'hang')));
  return { ...result, events };
}

/** A stream sends two chunks and stalls: the 300 ms idle timeout fails it. */
async function stall(client) {
  const policy = createStreamPolicy({ timeout: { firstTokenMs: 5_000, idleMs: 300 } });
  const events = recordEvents(policy);
  const chunks = [];
  let lastChunkAt = Date.now();
  const result = await settle(async () => {
    const stream = await policy.execute(({ signal }) =>
      client.chat.completions.create({ model: 'stall', messages, stream: true }, { signal }),
    );
    for await (const chunk of stream) {
      lastChunkAt = Date.now();
      chunks.push(chunk.choices[0]?.delta?.content ?? '');
    }
  });
  return { ...result, chunks, idleMs: Date.now() - lastChunkAt, events };
}

/** A 500 asking for 3 s; the caller aborts 100 ms into the backoff: the call ends at once. */
async function abort(client) {
  const policy = createChatPolicy({ retry: { initialDelayMs: 10, maxDelayMs: 50 } });
  const events = recordEvents(policy);
  const controller = new AbortController();
  let abortedAt;
  policy.events.on('retry', () => {
    setTimeout(() => {
      abortedAt = Date.now();
      controller.abort();
    }, 100);
  });
  const result = await settle(() => chat(client, policy, 'abort', { signal: controller.signal }));
  const settledAt = Date.now();
  return {
    ...result,
    afterAbortMs: abortedAt === undefined ? null : settledAt - abortedAt,
    events,
  };
}

const PLAYS = { rateLimit, outage, hang, stall, abort };

/**
 * Plays every scene against the fake server at `baseURL` (`http://host:port/v1`) and returns a
 * JSON-serialisable result by scene; a scene that throws reports its error instead.
 */
export async function runStory(baseURL) {
  const client = new OpenAI({
    apiKey: 'test-key',
    baseURL,
    maxRetries: 0,
    dangerouslyAllowBrowser: true,
  });
  const result = {};
  for (const scene of SCENES) {
    try {
      result[scene] = await PLAYS[scene](client);
    } catch (error) {
      result[scene] = { crashed: describeError(error) };
    }
  }
  return result;
}
