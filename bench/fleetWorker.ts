import { Redis } from 'ioredis';
import OpenAI from 'openai';
import type { LlmPolicy, PolicyOptions } from '../src/index.js';
import { createChatPolicy } from '../src/policies/chat.js';
import { createRedisStore } from '../src/redis/index.js';

/**
 * One process of a fleet (bench/fleet.ts): forked with `REDIS_URL`, it builds a chat policy
 * when told to and runs the calls it is sent, each through a real openai client, or a burst of
 * local calls. Messages in: `warm`, `start`, `call`, `abort`, `burst`, `stop`; out: `online`, `ready`,
 * `settled`, `burst`.
 */
export type FleetMessage =
  | {
      type: 'start';
      baseURL: string;
      name: string;
      /** Share through the Redis store at `REDIS_URL` under this prefix; in-process without. */
      prefix?: string;
      options: Partial<PolicyOptions>;
    }
  | { type: 'call'; id: number; model: string }
  | { type: 'abort'; id: number }
  | { type: 'burst'; count: number; failing?: boolean }
  | { type: 'warm'; baseURL: string }
  | { type: 'stop' };

/** What a worker answers (`online` once, when it listens). */
export type FleetReply =
  | { type: 'online' }
  | { type: 'ready' }
  | { type: 'settled'; id: number; ok: boolean; error?: string }
  | { type: 'burst'; times: number[]; errors: string[] };

const redis =
  process.env.REDIS_URL === undefined
    ? undefined
    : new Redis(process.env.REDIS_URL, { retryStrategy: () => 100 });
redis?.on('error', () => {});
let policy: LlmPolicy | undefined;
let client: OpenAI | undefined;
const calls = new Map<number, AbortController>();
const send = (reply: FleetReply): void => {
  process.send?.(reply);
};
const MESSAGES = [{ role: 'user' as const, content: 'Say hi.' }];

function describe(error: unknown): string {
  const status = (error as { status?: unknown }).status;
  const name = error instanceof Error ? error.constructor.name : typeof error;
  return typeof status === 'number' ? `${name} ${status}` : name;
}

process.on('message', (message: FleetMessage) => {
  switch (message.type) {
    case 'start': {
      const store =
        message.prefix === undefined || redis === undefined
          ? undefined
          : createRedisStore({ client: redis, prefix: message.prefix });
      policy = createChatPolicy({
        ...message.options,
        name: message.name,
        ...(store === undefined ? {} : { store }),
      } as Parameters<typeof createChatPolicy>[0]);
      client = new OpenAI({
        baseURL: message.baseURL,
        apiKey: 'sk-bench-not-a-real-key',
        maxRetries: 0,
      });
      send({ type: 'ready' });
      return;
    }
    case 'call': {
      const controller = new AbortController();
      calls.set(message.id, controller);
      const sdk = client as OpenAI;
      (policy as LlmPolicy)
        .execute(
          ({ signal }) =>
            sdk.chat.completions.create({ model: message.model, messages: MESSAGES }, { signal }),
          controller.signal,
        )
        .then(
          () => send({ type: 'settled', id: message.id, ok: true }),
          (error: unknown) =>
            send({ type: 'settled', id: message.id, ok: false, error: describe(error) }),
        )
        .finally(() => calls.delete(message.id));
      return;
    }
    case 'warm': {
      // A process of a running fleet has made requests before: its SDK and sockets are warm.
      const sdk = new OpenAI({
        baseURL: message.baseURL,
        apiKey: 'sk-bench-not-a-real-key',
        maxRetries: 0,
      });
      const ready = () => send({ type: 'ready' });
      sdk.chat.completions
        .create({ model: 'warm-up', messages: MESSAGES })
        .then(() => redis?.ping())
        .then(ready, ready);
      return;
    }
    case 'abort':
      calls.get(message.id)?.abort(new Error('bench: call bound reached'));
      return;
    case 'burst': {
      const times: number[] = [];
      const errors: string[] = [];
      const work = () => {
        times.push(Date.now());
        if (message.failing) throw Object.assign(new Error('down'), { status: 503 });
        return 1;
      };
      const target = policy as LlmPolicy;
      Promise.all(
        Array.from({ length: message.count }, () =>
          target.execute(work).catch((error: unknown) => {
            errors.push(describe(error));
          }),
        ),
      ).then(() => send({ type: 'burst', times, errors }));
      return;
    }
    case 'stop':
      redis?.disconnect();
      process.exit(0);
  }
});

send({ type: 'online' });
