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
 * On a Redis Cluster every command and script names keys of one slot: the claim and the scripts
 * name one key each, and the `MGET` and purge batches are split by slot. `SCAN` runs on every
 * master. Records are not hash-tagged: a namespace's keys spread over every shard, so a cluster
 * scales with its masters (a tag would put each namespace on one shard).
 *
 * With {@link ReplicaAck} set, every write that changes a record is followed by `WAIT
 * <replicas> <timeoutMs>` on the same connection; fewer acknowledgements than asked fail the call
 * (closed) instead of trusting a write that a failover could still lose.
 * Expiry is native: every write carries the record's physical expiry as `PXAT`, so Redis drops
 * expired records by itself and the hot path never scans. `purge` exists for the CLI (`--before`
 * a future date, or keys written without a TTL by a plain Keyv).
 */
import type { AtomicOps } from "@agent-idempotency/core/store";
import { IdempotencyStoreError } from "@agent-idempotency/core";
import { isIdempotencyRecord } from "@agent-idempotency/core/store";
import type { NodeSender, RawClient } from "./raw-client.js";
import { COMPARE_AND_DELETE, COMPARE_AND_SET, PURGE_EXPIRED, SCRIPTS } from "./scripts.js";
import { bySlot } from "./slot.js";

/** How many replicas must acknowledge each write, and how long to wait for them (`WAIT`). */
export interface ReplicaAck {
  replicas: number;
  timeoutMs: number;
}

const INSERTED = Object.freeze({ inserted: true as const });

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

/**
 * Walks every string key under `prefix`, one `SCAN` page at a time, on every node that holds
 * keys (every master of a cluster), in pages whose keys share one slot.
 */
async function* scanPages(raw: RawClient, prefix: string): AsyncGenerator<string[]> {
  const match = `${escapeGlob(raw.redisKey(prefix))}*`;
  for (const node of await raw.nodes()) {
    let cursor = "0";
    do {
      const [next, keys] = await node<[string, string[]]>(["SCAN", cursor, "MATCH", match, "COUNT", String(SCAN_COUNT), "TYPE", "string"]);
      cursor = String(next);
      if (keys.length === 0) continue;
      if (raw.cluster) yield* bySlot(keys);
      else yield keys;
    } while (cursor !== "0");
  }
}

/** Fails `setup()` with a clear message on a server without the commands the claim needs. */
async function checkServerVersion(node: NodeSender): Promise<void> {
  // Best effort: some managed services restrict INFO; the commands themselves then tell.
  const info = await node<string>(["INFO", "server"]).catch(() => undefined);
  const version = typeof info === "string" ? /(?:^|\n)redis_version:(\d+)\.(\S*)/.exec(info) : null;
  if (version && Number(version[1]) < MIN_REDIS_MAJOR) {
    throw new IdempotencyStoreError(
      `[store-redis] the server runs Redis ${version[1]}.${version[2]}; RedisStore needs Redis >= ${MIN_REDIS_MAJOR}.0 (SET … NX GET, PXAT, PEXPIRETIME)`,
    );
  }
}

/** The {@link AtomicOps} of a {@link RedisStore}, on `raw`'s client. */
export function redisAtomicOps(raw: RawClient, ack?: ReplicaAck): AtomicOps {
  /** After a write to `redisKey`: `WAIT` on its connection, and fail unless enough replicas have it. */
  const acknowledged = async (redisKey: string): Promise<void> => {
    if (!ack) return;
    const n = Number(await raw.send<number>(["WAIT", String(ack.replicas), String(ack.timeoutMs)], redisKey));
    if (n < ack.replicas) {
      throw new IdempotencyStoreError(
        `[store-redis] only ${n} of ${ack.replicas} replicas acknowledged the write within ${ack.timeoutMs} ms (WAIT); a failover now could lose it`,
      );
    }
  };
  return {
    async setup() {
      // Loading the scripts up front saves the first EVALSHA its NOSCRIPT round trip; it is
      // idempotent, so two processes running setup() at once is harmless. Every master of a
      // cluster gets them (a promoted replica may not: EVALSHA falls back to EVAL).
      const nodes = await raw.nodes();
      await Promise.all(nodes.flatMap((node) => SCRIPTS.map((s) => node(["SCRIPT", "LOAD", s.source]))));
      await checkServerVersion(nodes[0]!);
    },

    // `if (ack)` before each `await acknowledged`: without replicas to wait for, no extra promise hop.
    async insertIfAbsent(key, value, expiresAt) {
      const k = raw.redisKey(key);
      const existing = await raw.send<string | null>(["SET", k, value, "NX", "PXAT", pxat(expiresAt), "GET"], k);
      if (existing !== null) return { inserted: false, existing };
      if (ack) await acknowledged(k);
      return INSERTED;
    },

    async compareAndSet(key, expected, value, expiresAt) {
      const k = raw.redisKey(key);
      const wrote = (await raw.evalScript<number>(COMPARE_AND_SET, [k], [expected, value, pxat(expiresAt)])) === 1;
      if (wrote && ack) await acknowledged(k);
      return wrote;
    },

    async compareAndDelete(key, expected) {
      const k = raw.redisKey(key);
      const deleted = (await raw.evalScript<number>(COMPARE_AND_DELETE, [k], [expected])) === 1;
      if (deleted && ack) await acknowledged(k);
      return deleted;
    },

    async get(key) {
      const k = raw.redisKey(key);
      return (await raw.send<string | null>(["GET", k], k)) ?? undefined;
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
        const values = await raw.send<Array<string | null>>(["MGET", ...keys], keys[0]);
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
