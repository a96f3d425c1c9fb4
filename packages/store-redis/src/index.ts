/**
 * `@agent-idempotency/store-redis`: `RedisStore`, records shared by every process and machine on one
 * Redis (or Valkey) server or Redis Cluster.
 *
 * The Lua scripts the store runs are in `@agent-idempotency/store-redis/scripts`.
 *
 * @packageDocumentation
 */

export { RedisStore } from "./redis-store.js";
export type { RedisStoreOptions } from "./redis-store.js";
export type { RedisClient, RedisCluster } from "./raw-client.js";
export { DEFAULT_PREFIX } from "./prefix.js";
export { keySlot } from "./slot.js";
