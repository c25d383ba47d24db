import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis } from 'ioredis';
import { Redis as RedisV5 } from 'ioredis-v5';
import { createClient as createClient6 } from 'redis';
import { createClient as createClient4 } from 'redis-v4';
import { createClient as createClient5 } from 'redis-v5';
import { startUpstashRest } from './upstashRest.js';

/** Every Redis client the store is tested with. */
export const CLIENT_KINDS = [
  'ioredis 6',
  'ioredis 5',
  'redis 4',
  'redis 5',
  'redis 6',
  'upstash',
] as const;

/** One of {@link CLIENT_KINDS}. */
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** A client connected to a redis-server, and how to close it. */
export interface TestClient {
  readonly client: unknown;
  close(): Promise<void>;
}

interface NodeRedis {
  on(event: 'error', listener: (error: unknown) => void): unknown;
  connect(): Promise<unknown>;
  destroy?: () => void;
  disconnect?: () => Promise<void>;
}

async function nodeRedis(client: NodeRedis): Promise<TestClient> {
  // node-redis emits 'error' while it reconnects: without a listener that is an uncaught error.
  client.on('error', () => {});
  await client.connect();
  return {
    client,
    async close() {
      if (client.destroy) client.destroy();
      else await client.disconnect?.().catch(() => {});
    },
  };
}

/**
 * A client of `kind` on the redis-server at `url` (node-redis connected; ioredis with a short
 * connect timeout; Upstash through a small REST server forwarding to it).
 */
export async function connectClient(kind: ClientKind, url: string): Promise<TestClient> {
  switch (kind) {
    case 'ioredis 6':
    case 'ioredis 5': {
      const options = { connectTimeout: 500, retryStrategy: () => 50 };
      const client = kind === 'ioredis 6' ? new Redis(url, options) : new RedisV5(url, options);
      client.on('error', () => {});
      return {
        client,
        close: async () => client.disconnect(),
      };
    }
    case 'redis 4':
      return nodeRedis(createClient4({ url }) as unknown as NodeRedis);
    case 'redis 5':
      return nodeRedis(createClient5({ url }) as unknown as NodeRedis);
    case 'redis 6':
      return nodeRedis(createClient6({ url }) as unknown as NodeRedis);
    case 'upstash': {
      const rest = await startUpstashRest(url);
      const client = new UpstashRedis({
        url: rest.url,
        token: rest.token,
        retry: false,
        enableTelemetry: false,
      });
      return { client, close: () => rest.close() };
    }
  }
}
