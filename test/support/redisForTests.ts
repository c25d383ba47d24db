import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type RedisServer, useRedis } from './redisServer.js';

/** The tests' Redis (see `useRedis`) and one ioredis client on it. */
export interface RedisForTests {
  readonly server: RedisServer;
  readonly client: Redis;
}

/**
 * Gets a Redis for the file's tests before they run, with one ioredis client on it, and lets both
 * go after them. Read the fields inside the tests (they are set by `beforeAll`).
 */
export function redisForTests(): RedisForTests {
  const handle = {} as { server: RedisServer; client: Redis };
  beforeAll(async () => {
    handle.server = await useRedis();
    handle.client = new Redis(handle.server.url);
  });
  afterAll(async () => {
    handle.client?.disconnect();
    await handle.server?.stop();
  });
  return handle;
}
