// The libraries users compare us with, set up to guard the same tool with the same arguments:
// - @aws-lambda-powertools/idempotency: makeIdempotent over its CachePersistenceLayer, on the same
//   Redis, and on an in-process Map that implements the layer's three-method CacheClient (its
//   "memory variant": the layer's own code, with a Map where Redis would be). The Lambda context
//   is registered so the in-progress lock has an expiry outside Lambda.
// - @node-idempotency/core: onRequest/onResponse around the tool, with its memory and Redis
//   storage adapters. It keys on a caller-supplied Idempotency-Key header and derives nothing, so
//   we hand it one (its figures leave out the key derivation ours include).
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { CachePersistenceLayer } from "@aws-lambda-powertools/idempotency/cache";
import { Idempotency } from "@node-idempotency/core";
import { MemoryStorageAdapter } from "@node-idempotency/storage-adapter-memory";
import { RedisStorageAdapter } from "@node-idempotency/storage-adapter-redis";
import { createClient as createRedis6Client } from "@redis/client";
import { bookCalendar, deleteRedisPrefix, REDIS_URL, RUN_ID } from "./workload.mjs";

const DAY_S = 86_400;

/** Powertools' CacheClient on a Map: `SET … NX EX`, `GET` and `DEL` with Redis's expiry semantics. */
export class MapCacheClient {
  #entries = new Map();

  async get(key) {
    const e = this.#entries.get(key);
    if (!e) return null;
    if (e.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return null;
    }
    return e.value;
  }

  async set(key, value, options = {}) {
    const e = this.#entries.get(key);
    if (options.NX && e && e.expiresAt > Date.now()) return null;
    this.#entries.set(key, { value, expiresAt: options.EX ? Date.now() + options.EX * 1000 : Number.POSITIVE_INFINITY });
    return "OK";
  }

  async del(keys) {
    let n = 0;
    for (const k of keys) if (this.#entries.delete(k)) n++;
    return n;
  }
}

/** `makeIdempotent(tool)` on a cache client; `call(args)` is one guarded call. */
function powertools(client, keyPrefix, tool = bookCalendar) {
  const config = new IdempotencyConfig({ expiresAfterSeconds: DAY_S });
  // Outside Lambda there is no remaining time; without it the in-progress record never expires
  // and every call logs a warning. 60 s matches our default lease.
  config.registerLambdaContext({ getRemainingTimeInMillis: () => 60_000 });
  const guarded = makeIdempotent(async (a) => tool(a), { persistenceStore: new CachePersistenceLayer({ client }), config, keyPrefix });
  return { call: (a) => guarded(a) };
}

/** node-idempotency's request cycle around the tool; `key` stands in for the Idempotency-Key header. */
function nodeIdempotency(storage, cacheKeyPrefix, tool = bookCalendar, inProgressStrategy = undefined) {
  const idem = new Idempotency(storage, { cacheKeyPrefix, cacheTTLMS: DAY_S * 1000, ...(inProgressStrategy ? { inProgressStrategy } : {}) });
  return {
    async call(a, key) {
      const req = { method: "POST", path: "/book_calendar", headers: { "idempotency-key": key }, body: a };
      const cached = await idem.onRequest(req);
      if (cached) return cached.body;
      const body = await tool(a);
      await idem.onResponse(req, { body });
      return body;
    },
  };
}

/**
 * Opens the peers for `env` ("memory" or "redis"). Each returns `{ name, make(tool, options), close }`
 * where `make` builds a guarded caller `{ call(args, key) }` on the shared connection.
 */
export async function openPeers(env) {
  const prefix = `aidem-bench-${RUN_ID}`;
  if (env === "memory") {
    return [
      { name: "powertools", make: (tool) => powertools(new MapCacheClient(), `${prefix}-pt`, tool), close: async () => undefined },
      { name: "node-idempotency", make: (tool, o) => nodeIdempotency(new MemoryStorageAdapter(), `${prefix}-ni`, tool, o?.inProgressStrategy), close: async () => undefined },
    ];
  }
  const redis6 = createRedis6Client({ url: REDIS_URL });
  redis6.on("error", () => undefined);
  await redis6.connect();
  const niStorage = new RedisStorageAdapter({ url: REDIS_URL });
  await niStorage.connect();
  let n = 0; // every make() gets its own prefix, so sections never see each other's records
  return [
    {
      name: "powertools",
      make: (tool) => powertools(redis6, `${prefix}-pt${++n}`, tool),
      close: async () => {
        await deleteRedisPrefix(redis6, `${prefix}-pt`);
        await redis6.close();
      },
    },
    {
      name: "node-idempotency",
      make: (tool, o) => nodeIdempotency(niStorage, `${prefix}-ni${++n}`, tool, o?.inProgressStrategy),
      close: async () => {
        await deleteRedisPrefix(niStorage.client, `${prefix}-ni`);
        await niStorage.disconnect();
      },
    },
  ];
}
