/**
 * The atomic steps of {@link RedisStore} as single Redis commands or scripts, on the keys the Keyv
 * adapter owns (same key layout, same Keyv value encoding, which the base class produces):
 *
 * | step              | Redis                                                   |
 * | ----------------- | ------------------------------------------------------- |
 * | insert-if-absent  | `SET key value NX PXAT <at> GET` (the existing value, or nil when it inserted) |
 * | compare-and-set   | `EVALSHA` {@link COMPARE_AND_SET} (GET, compare, SET … PXAT)  |
 * | compare-and-delete| `EVALSHA` {@link COMPARE_AND_DELETE}                     |
 * | list              | `SCAN MATCH <prefix>* TYPE string` + `MGET` (never `KEYS`) |
 * | purge             | `SCAN` + `EVALSHA` {@link PURGE_EXPIRED} per batch       |
 *
 * Expiry is native: every write carries the record's physical expiry as `PXAT`, so Redis drops
 * expired records by itself and the hot path never scans. `purge` exists for the CLI (`--before`
 * a future date, or keys written without a TTL by a plain Keyv).
 */
import type { AtomicOps } from "@agent-idempotency/core";
import { IdempotencyStoreError, isIdempotencyRecord } from "@agent-idempotency/core";
import type { RawClient } from "./raw-client.js";
import { COMPARE_AND_DELETE, COMPARE_AND_SET, PURGE_EXPIRED, SCRIPTS } from "./scripts.js";

/** Keys per `SCAN` page (a hint to the server) and so per purge script call. */
const SCAN_COUNT = 500;

/** The first Redis major with `SET … NX GET` and `PEXPIRETIME`. */
const MIN_REDIS_MAJOR = 7;

/** `PXAT` takes a positive integer; rounding up never expires a record early. */
function pxat(expiresAt: number): string {
  if (!Number.isFinite(expiresAt) || expiresAt <= 0) {
    throw new IdempotencyStoreError(`[store-redis] the physical expiry ${expiresAt} is not a positive epoch-ms instant; check ttlMs, leaseMs and retentionMs`);
  }
  return String(Math.ceil(expiresAt));
}

/** Escapes glob characters so a prefix matches only itself in `SCAN MATCH` (prefixes are validated too). */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

/**
 * True when a raw value decodes to one of our records. Keyv's default encoding is JSON (a string
 * starting with ":" gets one more ":"), which changes no field's type, so plain `JSON.parse` can tell.
 */
function looksLikeRecord(raw: string): boolean {
  try {
    return isIdempotencyRecord((JSON.parse(raw) as { value?: unknown } | null)?.value);
  } catch {
    return false;
  }
}

/** Walks every string key under `prefix`, one `SCAN` page at a time. */
async function* scanPages(raw: RawClient, prefix: string): AsyncGenerator<string[]> {
  const match = `${escapeGlob(raw.redisKey(prefix))}*`;
  let cursor = "0";
  do {
    const [next, keys] = await raw.send<[string, string[]]>(["SCAN", cursor, "MATCH", match, "COUNT", String(SCAN_COUNT), "TYPE", "string"]);
    cursor = String(next);
    if (keys.length > 0) yield keys;
  } while (cursor !== "0");
}

/** Fails `setup()` with a clear message on a server without the commands the claim needs. */
async function checkServerVersion(raw: RawClient): Promise<void> {
  // Best effort: some managed services restrict INFO; the commands themselves then tell.
  const info = await raw.send<string>(["INFO", "server"]).catch(() => undefined);
  const version = typeof info === "string" ? /(?:^|\n)redis_version:(\d+)\.(\S*)/.exec(info) : null;
  if (version && Number(version[1]) < MIN_REDIS_MAJOR) {
    throw new IdempotencyStoreError(
      `[store-redis] the server runs Redis ${version[1]}.${version[2]}; RedisStore needs Redis >= ${MIN_REDIS_MAJOR}.0 (SET … NX GET, PXAT, PEXPIRETIME)`,
    );
  }
}

/** The {@link AtomicOps} of a {@link RedisStore}, on `raw`'s client. */
export function redisAtomicOps(raw: RawClient): AtomicOps {
  return {
    async setup() {
      // Loading the scripts up front saves the first EVALSHA its NOSCRIPT round trip; it is
      // idempotent, so two processes running setup() at once is harmless.
      await Promise.all(SCRIPTS.map((s) => raw.send(["SCRIPT", "LOAD", s.source])));
      await checkServerVersion(raw);
    },

    async insertIfAbsent(key, value, expiresAt) {
      const existing = await raw.send<string | null>(["SET", raw.redisKey(key), value, "NX", "PXAT", pxat(expiresAt), "GET"]);
      return existing === null ? { inserted: true } : { inserted: false, existing };
    },

    async compareAndSet(key, expected, value, expiresAt) {
      const wrote = await raw.evalScript<number>(COMPARE_AND_SET, [raw.redisKey(key)], [expected, value, pxat(expiresAt)]);
      return wrote === 1;
    },

    async compareAndDelete(key, expected) {
      return (await raw.evalScript<number>(COMPARE_AND_DELETE, [raw.redisKey(key)], [expected])) === 1;
    },

    async get(key) {
      return (await raw.send<string | null>(["GET", raw.redisKey(key)])) ?? undefined;
    },

    async *list(prefix, options) {
      const limit = options?.limit ?? Number.POSITIVE_INFINITY;
      // SCAN may return a key twice while the keyspace rehashes; a record is listed once.
      const seen = new Set<string>();
      let n = 0;
      if (n >= limit) return;
      for await (const page of scanPages(raw, prefix)) {
        const keys = page.filter((k) => !seen.has(k));
        if (keys.length === 0) continue;
        for (const k of keys) seen.add(k);
        const values = await raw.send<Array<string | null>>(["MGET", ...keys]);
        for (const value of values) {
          if (value === null) continue; // expired or deleted between SCAN and MGET
          // The base class drops values that are not records after this, so only records may
          // count toward `limit`, or a foreign key under the prefix would shorten the list.
          if (!looksLikeRecord(value)) continue;
          yield value;
          if (++n >= limit) return;
        }
      }
    },

    async purge(prefix, before) {
      let deleted = 0;
      for await (const keys of scanPages(raw, prefix)) {
        deleted += await raw.evalScript<number>(PURGE_EXPIRED, keys, [String(Math.floor(before))]);
      }
      return deleted;
    },

    close: () => raw.close(),
  };
}
