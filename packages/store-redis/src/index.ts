export { RedisStore } from "./redis-store.js";
export type { RedisStoreOptions } from "./redis-store.js";
export type { RedisClient, RedisCluster } from "./raw-client.js";
export { keySlot } from "./slot.js";
export { DEFAULT_PREFIX, validatePrefix } from "./prefix.js";
export { COMPARE_AND_DELETE, COMPARE_AND_SET, PURGE_EXPIRED } from "./scripts.js";
export type { LuaScript } from "./scripts.js";
