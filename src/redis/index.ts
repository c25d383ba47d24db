/**
 * llm-resilience/redis: a store that shares policies' rate-limit gates and circuit breakers
 * between processes through Redis, Valkey or Upstash. It imports no Redis package: pass your
 * own client.
 * @module llm-resilience/redis
 */

export {
  createRedisStore,
  REDIS_STORE_DEFAULTS,
  RedisStore,
  type RedisStoreOptions,
} from './createRedisStore.js';
