/**
 * The Lua scripts behind the compare-and-set steps. Redis runs a script atomically, so "read the
 * value, compare it with the one this claim last wrote, then write" is one step on the server:
 * a stale holder's write matches nothing. Deadlines are absolute (`PXAT`, epoch ms from the
 * engine's clock), so a retried or delayed script never stretches an expiry the way a relative
 * `PX` would.
 *
 * The claim itself needs no script: `SET key value NX PXAT <at> GET` (Redis >= 7.0) inserts or
 * returns the existing value in one command.
 */
import { createHash } from "node:crypto";

/** A script and the SHA-1 `EVALSHA` addresses it by. */
export interface LuaScript {
  /** A short name for what the script does, such as `"compare-and-set"`; never sent to Redis. */
  readonly name: string;
  /** The Lua source: loaded with `SCRIPT LOAD` at setup, and sent with `EVAL` when a server answers `NOSCRIPT` (a restart, a promoted replica). */
  readonly source: string;
  /** The source's SHA-1 in hex, which `EVALSHA` calls it by so the source is not sent on every step. */
  readonly sha: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * Replaces the value only if it is exactly the expected one.
 * KEYS[1] the Redis key; ARGV[1] the expected value; ARGV[2] the new value; ARGV[3] the new
 * physical expiry (epoch ms). Returns 1 when it wrote, 0 otherwise.
 */
export const COMPARE_AND_SET = script(
  "compare-and-set",
  `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
  return 1
end
return 0`,
);

/**
 * Deletes the key only if its value is exactly the expected one.
 * KEYS[1] the Redis key; ARGV[1] the expected value. Returns 1 when it deleted, 0 otherwise.
 */
export const COMPARE_AND_DELETE = script(
  "compare-and-delete",
  `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`,
);

/**
 * Deletes those of the given keys whose physical expiry is at or before ARGV[1] (epoch ms), and
 * returns how many it deleted. The expiry is read inside the script, so a key re-claimed with a
 * later deadline after the SCAN that found it is left alone. Every record this store writes has
 * a `PXAT`; for a key without one (written by a plain `keyv.set` with no ttl) the value's Keyv
 * `expires` field decides, and a key with neither is kept.
 */
export const PURGE_EXPIRED = script(
  "purge-expired",
  `local before = tonumber(ARGV[1])
local n = 0
for _, key in ipairs(KEYS) do
  local at = redis.call('PEXPIRETIME', key)
  if at == -1 then
    local raw = redis.pcall('GET', key)
    local ok, data = pcall(cjson.decode, raw)
    if ok and type(data) == 'table' and type(data.expires) == 'number' then at = data.expires end
  end
  if at >= 0 and at <= before then
    redis.call('DEL', key)
    n = n + 1
  end
end
return n`,
);

/** Every script, for `SCRIPT LOAD` in `setup()`. */
export const SCRIPTS: readonly LuaScript[] = [COMPARE_AND_SET, COMPARE_AND_DELETE, PURGE_EXPIRED];
