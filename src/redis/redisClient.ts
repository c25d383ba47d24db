import { refuse } from '../validate.js';

/** What the store needs of a Redis client: run a cached script, run a script, ping. */
export interface ScriptClient {
  /** Which kind of client it is, for messages. */
  readonly kind: 'ioredis' | 'node-redis' | 'upstash';
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>;
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  ping(): Promise<unknown>;
}

type Fn = (...args: unknown[]) => Promise<unknown>;
type Shape = Record<string, unknown>;

const isFn = (client: Shape, name: string): boolean => typeof client[name] === 'function';

/** What `createRedisStore` accepts, for its TypeError. */
const EXPECTED =
  'an ioredis client (new Redis()), a node-redis client (createClient(), connected) or an @upstash/redis client (new Redis({ url, token }))';

/**
 * The client's shape, detected without importing any Redis package: ioredis (`evalsha(sha,
 * numkeys, ...keys, ...args)`, `defineCommand`), node-redis 4 to 6 (`evalSha(sha, { keys,
 * arguments })`), or @upstash/redis (`evalsha(sha, keys, args)`, `createScript`). Throws a
 * TypeError naming `client` for anything else.
 */
export function scriptClient(client: unknown): ScriptClient {
  if (typeof client !== 'object' || client === null) refuse('client', EXPECTED, client);
  const c = client as Shape;
  const call = (name: string, ...args: unknown[]): Promise<unknown> =>
    (c[name] as Fn).apply(client, args);
  if (isFn(c, 'evalsha') && isFn(c, 'defineCommand') && isFn(c, 'ping')) {
    return {
      kind: 'ioredis',
      evalsha: (sha, keys, args) => call('evalsha', sha, keys.length, ...keys, ...args),
      eval: (script, keys, args) => call('eval', script, keys.length, ...keys, ...args),
      ping: () => call('ping'),
    };
  }
  if (isFn(c, 'evalSha') && isFn(c, 'eval') && isFn(c, 'ping')) {
    return {
      kind: 'node-redis',
      evalsha: (sha, keys, args) => call('evalSha', sha, { keys, arguments: args }),
      eval: (script, keys, args) => call('eval', script, { keys, arguments: args }),
      ping: () => call('ping'),
    };
  }
  if (isFn(c, 'evalsha') && isFn(c, 'createScript') && isFn(c, 'ping')) {
    return {
      kind: 'upstash',
      evalsha: (sha, keys, args) => call('evalsha', sha, keys, args),
      eval: (script, keys, args) => call('eval', script, keys, args),
      ping: () => call('ping'),
    };
  }
  return refuse('client', EXPECTED, client);
}
