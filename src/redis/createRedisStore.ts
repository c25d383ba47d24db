import type {
  EnterAnswer,
  EnterRequest,
  LeaveAnswer,
  LeaveReport,
  PolicyStateStore,
  PolicyStore,
  SharedBreakerVerdict,
} from '../store/PolicyStore.js';
import { aString, checkObject, millis, type Schema } from '../validate.js';
import { type ScriptClient, scriptClient } from './redisClient.js';
import { ENTER, LEAVE } from './scripts.js';
import { sha1 } from './sha1.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * A connected Redis client: ioredis (5 or 6), node-redis (`redis` 4, 5 or 6, connected with
   * `await client.connect()`) or @upstash/redis. The store never imports a Redis package, and
   * never connects, disconnects or quits the client.
   */
  client: unknown;
  /** Begins every key, e.g. your application's name. Default `'llm-resilience'`. */
  prefix?: string;
  /**
   * How long an attempt waits for Redis before it goes on with in-process state, in ms (Redis
   * is then unavailable until it answers again; a `storeUnavailable` event says so). Default 50.
   */
  timeoutMs?: number;
}

/** The defaults of {@link RedisStoreOptions}. */
export const REDIS_STORE_DEFAULTS = Object.freeze({
  /** Default of {@link RedisStoreOptions.prefix}. */
  prefix: 'llm-resilience',
  /** Default of {@link RedisStoreOptions.timeoutMs}: 50 ms. */
  timeoutMs: 50,
});

/** Keys live at least this long after their last write, in ms (10 minutes). */
const MIN_TTL_MS = 600_000;

const OPTIONS: Schema = {
  client: { check: () => undefined },
  prefix: { check: aString, optional: true },
  timeoutMs: { check: millis(1), optional: true },
};

/** A script and its SHA-1, for EVALSHA (EVAL loads it again after a restart or SCRIPT FLUSH). */
class Script {
  private sha: string | undefined;
  private readonly hashing: Promise<string>;

  constructor(readonly source: string) {
    this.hashing = sha1(source).then((sha) => {
      this.sha = sha;
      return sha;
    });
  }

  async run(client: ScriptClient, keys: string[], args: string[]): Promise<unknown> {
    const sha = this.sha ?? (await this.hashing);
    try {
      return await client.evalsha(sha, keys, args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return client.eval(this.source, keys, args);
    }
  }
}

const enter = new Script(ENTER);
const leave = new Script(LEAVE);

function isNoScript(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.includes('NOSCRIPT');
}

/** The reply's fields as strings (Upstash may hand back numbers). */
function fields(reply: unknown, count: number): string[] {
  if (!Array.isArray(reply) || reply.length !== count) {
    throw new TypeError(`unexpected reply from Redis: ${typeof reply}`);
  }
  return reply.map(String);
}

const VERDICTS: ReadonlySet<string> = new Set(['closed', 'probe', 'open', 'halfOpen']);

/**
 * How long a policy's key must outlive its last write: twice its longest closure, open time or
 * retry budget window.
 */
function ttlOf(
  gateMaxWaitMs: number,
  breaker: { maxHalfOpenAfterMs: number; probeLeaseMs: number } | undefined,
  retryBudget: { windowMs: number } | undefined,
): string {
  const breakerMs = breaker === undefined ? 0 : breaker.maxHalfOpenAfterMs + breaker.probeLeaseMs;
  const windowMs = retryBudget?.windowMs ?? 0;
  return String(Math.ceil(Math.max(MIN_TTL_MS, 2 * gateMaxWaitMs, 2 * breakerMs, 2 * windowMs)));
}

/** One policy's state in one Redis hash, `<prefix>:{<name>}` (the hash tag keeps it in one slot). */
class RedisPolicyState implements PolicyStateStore {
  private readonly keys: string[];

  constructor(
    private readonly client: ScriptClient,
    key: string,
    readonly timeoutMs: number,
  ) {
    this.keys = [key];
  }

  /** Every policy of the store shares its client, so they are unavailable together. */
  get connection(): object {
    return this.client;
  }

  async enter(request: EnterRequest): Promise<EnterAnswer> {
    const { breaker, gate } = request;
    const args = [
      breaker === undefined ? '0' : '1',
      String(breaker?.probeLeaseMs ?? 0),
      gate === undefined ? '0' : '1',
      String(gate?.requestsPerMinute ?? 0),
      String(gate?.tokensPerMinute ?? 0),
      String(gate?.cost ?? 0),
      String(gate?.forgetAfterMs ?? 0),
      ttlOf(gate?.maxWaitMs ?? 0, breaker, undefined),
      String(gate?.refuseAboveMs ?? -1),
    ];
    const [verdict, breakerMs, waitMs, closedMs, at, pace, refused] = fields(
      await enter.run(this.client, this.keys, args),
      7,
    ) as [string, string, string, string, string, string, string];
    if (!VERDICTS.has(verdict)) throw new TypeError(`unexpected reply from Redis: ${verdict}`);
    return {
      at: Number(at),
      breaker: verdict as SharedBreakerVerdict,
      breakerForMs: Number(breakerMs),
      waitMs: Number(waitMs),
      closedForMs: Number(closedMs),
      paceRatePerSec: Number(pace),
      refused: refused === '1',
    };
  }

  async leave(report: LeaveReport): Promise<LeaveAnswer> {
    const { breaker: b, gate: g, retryBudget: y } = report;
    const outcome =
      b === undefined ? '0' : b.outcome === 'success' ? '1' : b.outcome === 'failure' ? '2' : '0';
    const args = [
      outcome,
      b?.probe === true ? '1' : '0',
      String(b?.hintMs ?? -1),
      String(b?.halfOpenAfterMs ?? 0),
      String(b?.maxHalfOpenAfterMs ?? 0),
      String(b?.consecutiveFailures ?? 0),
      String(b?.failureRatio ?? 0),
      String(b?.samplingMs ?? 1),
      String(b?.minimumCalls ?? 0),
      g === undefined ? '0' : g.outcome === 'answered' ? '1' : '2',
      String(g?.hintMs ?? -1),
      String(g?.backoffMs ?? 0),
      String(g?.maxWaitMs ?? 0),
      String(report.sentAt),
      g?.backlogged === true ? '1' : '0',
      String(g?.requestsPerMinute ?? 0),
      String(g?.increasePerSec ?? 0),
      String(g?.decreaseFactor ?? 1),
      String(g?.minRatePerSec ?? 0),
      String(g?.forgetAfterMs ?? 0),
      ttlOf(g?.maxWaitMs ?? 0, b, y),
      y === undefined ? '0' : '1',
      String(y?.percent ?? 0),
      String(y?.minPerSec ?? 0),
      String(y?.windowMs ?? 1),
      String(y?.deposits ?? 0),
      y?.withdraw === true ? '1' : '0',
    ];
    const [change, openMs, closedMs, pace, granted] = fields(
      await leave.run(this.client, this.keys, args),
      5,
    ) as [string, string, string, string, string];
    return {
      breaker:
        change === 'opened' ? { opened: Number(openMs) } : change === 'reset' ? 'reset' : undefined,
      closedForMs: Number(closedMs),
      paceRatePerSec: Number(pace),
      ...(granted === '' ? {} : { retryGranted: granted === '1' }),
    };
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }
}

/** The store {@link createRedisStore} returns: a {@link PolicyStore} on one Redis client. */
export class RedisStore implements PolicyStore {
  /** Begins every key. */
  readonly prefix: string;
  /** How long an attempt waits for Redis, in ms. */
  readonly timeoutMs: number;
  private readonly client: ScriptClient;

  /** Checks `options` (a TypeError names a bad one); see {@link createRedisStore}. */
  constructor(options: RedisStoreOptions) {
    checkObject(options, OPTIONS, {
      path: 'options',
      noun: 'a createRedisStore option',
      field: (key) => key,
    });
    this.client = scriptClient(options.client);
    this.prefix = options.prefix ?? REDIS_STORE_DEFAULTS.prefix;
    this.timeoutMs = options.timeoutMs ?? REDIS_STORE_DEFAULTS.timeoutMs;
  }

  /** Which kind of client the store detected. */
  get clientKind(): ScriptClient['kind'] {
    return this.client.kind;
  }

  /** The key of the policy named `name`. */
  keyOf(name: string): string {
    return `${this.prefix}:{${name}}`;
  }

  /** The shared state of the policy named `name`. */
  policyState(name: string): PolicyStateStore {
    return new RedisPolicyState(this.client, this.keyOf(name), this.timeoutMs);
  }
}

/**
 * A {@link PolicyStore} in Redis (or Valkey, or Upstash over HTTP): policies with the same
 * `name` on stores with the same `prefix` share their rate-limit gate and circuit breaker, in
 * any process (docs/distributed.md). Each attempt costs one round trip on its way in and one
 * on its way out; each key expires 10 minutes after its last write. Throws a TypeError naming
 * a missing or unrecognised `client` or a bad option.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { createChatPolicy } from 'llm-resilience';
 * import { createRedisStore } from 'llm-resilience/redis';
 *
 * const store = createRedisStore({ client: new Redis(process.env.REDIS_URL), prefix: 'myapp' });
 * export const chat = createChatPolicy({
 *   name: 'openai-chat',
 *   store,
 *   rateLimit: { requestsPerMinute: 10_000 },
 * });
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
