import { BrokenCircuitError } from 'cockatiel';
import { Cluster, Redis } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicy, type LlmPolicy, type PolicyOptions } from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { type RedisServer, startRedisCluster } from '../support/redisServer.js';
import { attemptsAfterTenCalls } from '../support/sharedRetryBudget.js';

// A Redis Cluster of three masters of its own: each policy's key carries its name as a hash tag,
// so its scripts touch one slot, on whichever node serves it.

let servers: RedisServer[] = [];
beforeAll(async () => {
  servers = await startRedisCluster(3);
}, 30_000);
afterAll(async () => {
  for (const server of servers) await server.stop();
});

interface ClusterClient {
  readonly client: unknown;
  close(): Promise<void>;
}

async function connect(kind: 'ioredis' | 'node-redis'): Promise<ClusterClient> {
  const port = servers[0]?.port as number;
  if (kind === 'ioredis') {
    const client = new Cluster([{ host: '127.0.0.1', port }]);
    client.on('error', () => {});
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    return { client, close: async () => client.disconnect() };
  }
  const client = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${port}` }] });
  client.on('error', () => {});
  await client.connect();
  return { client, close: async () => client.destroy() };
}

const down = (): Error => Object.assign(new Error('down'), { status: 503 });
const failure = () => Promise.reject(down());

describe.each(['ioredis', 'node-redis'] as const)('the Redis store on a cluster, %s', (kind) => {
  let connection: ClusterClient;
  let store: RedisStore;
  beforeAll(async () => {
    connection = await connect(kind);
    store = createRedisStore({
      client: connection.client,
      prefix: `llmr-cluster-${kind}`,
      timeoutMs: 1000,
    });
  });
  afterAll(async () => {
    await connection?.close();
  });

  const pair = (name: string, options: PolicyOptions): [LlmPolicy, LlmPolicy] => [
    createPolicy({ ...options, name, store }),
    createPolicy({ ...options, name, store }),
  ];

  it("shares each policy's breaker, its key whole on the node serving its slot", async () => {
    const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    for (const name of names) {
      const [a, b] = pair(name, {
        circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 10_000 },
        rateLimit: {},
      });
      await expect(a.execute(failure)).rejects.toThrow('down');
      await expect(b.execute(failure)).rejects.toThrow('down');
      await new Promise((resolve) => setTimeout(resolve, 30));
      let sent = 0;
      await expect(a.execute(() => ++sent)).rejects.toBeInstanceOf(BrokenCircuitError);
      expect(sent).toBe(0);
    }
    // The keys are spread over the cluster's nodes, each whole on one.
    const holding = [];
    for (const server of servers) {
      const node = new Redis(server.url);
      holding.push((await node.keys(`llmr-cluster-${kind}:*`)).length);
      node.disconnect();
    }
    expect(holding.reduce((x, y) => x + y, 0)).toBe(names.length);
    expect(holding.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('shares a retry budget on the cluster', async () => {
    const [a, b] = pair('budget', {
      retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 60_000 },
      retryBudget: { percent: 50, minPerSec: 0, windowMs: 2_000 },
    });
    // 14 calls allow 7 retries; b alone would make 2.
    expect(await attemptsAfterTenCalls(a, b, 4, down)).toBe(8);
  });
});
