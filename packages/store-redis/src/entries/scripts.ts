/**
 * `@agent-idempotency/store-redis/scripts`: the Lua scripts `RedisStore` runs for its
 * compare-and-set, owner-checked delete and purge, each with its source and SHA-1 (for `EVALSHA`,
 * or to load them ahead with `SCRIPT LOAD`).
 *
 * @packageDocumentation
 */

export { COMPARE_AND_DELETE, COMPARE_AND_SET, PURGE_EXPIRED } from "../scripts.js";
export type { LuaScript } from "../scripts.js";
