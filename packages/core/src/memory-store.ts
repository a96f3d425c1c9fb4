/**
 * The reference store: Keyv's in-memory `Map` underneath, atomic within one process because
 * every primitive runs synchronously between two awaits. Its primitives answer directly
 * (`synchronous`), so a claim, a complete or a release is one promise, not one per step. Records
 * are kept in Keyv's encoding, so a replay is a fresh copy (never a shared mutable object) and
 * behaves exactly as it will on a persistent store. The test double everywhere; not shared
 * between processes.
 */
import Keyv from "keyv";
import type { AtomicOps, InsertResult } from "./keyv-store.js";
import { KeyvBackedStore } from "./keyv-store.js";

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Keyv namespace (key prefix). Default `"idempotency"`. */
  namespace?: string;
  /** Sweep this many expired records every this many writes (bounded work, no full scan). Default 256. */
  sweepEvery?: number;
}

const INSERTED: InsertResult = Object.freeze({ inserted: true });

function mapOps(map: Map<string, string>, sweepEvery: number): AtomicOps {
  // Physical expiry per key, beside Keyv's map, so sweeping needs no decoding.
  const expiry = new Map<string, number>();
  let writes = 0;
  const wrote = (key: string, raw: string, expiresAt: number) => {
    map.set(key, raw);
    expiry.set(key, expiresAt);
    if (++writes % sweepEvery === 0) sweep(sweepEvery);
  };
  // Oldest insertions first: with one TTL per tool they are also the first to expire.
  const sweep = (budget: number) => {
    const now = Date.now();
    for (const [key, at] of expiry) {
      if (budget-- <= 0) break;
      if (at <= now) {
        expiry.delete(key);
        map.delete(key);
      }
    }
  };
  const drop = (key: string) => {
    map.delete(key);
    expiry.delete(key);
  };
  return {
    synchronous: true,
    insertIfAbsent(key, raw, expiresAt) {
      const existing = map.get(key);
      if (existing !== undefined) return { inserted: false, existing };
      wrote(key, raw, expiresAt);
      return INSERTED;
    },
    compareAndSet(key, expected, raw, expiresAt) {
      if (map.get(key) !== expected) return false;
      wrote(key, raw, expiresAt);
      return true;
    },
    compareAndDelete(key, expected) {
      if (map.get(key) !== expected) return false;
      drop(key);
      return true;
    },
    async get(key) {
      return map.get(key);
    },
    peek(key) {
      return map.get(key);
    },
    async *list(prefix, options) {
      let n = 0;
      for (const [key, raw] of map) {
        if (options?.limit !== undefined && n >= options.limit) return;
        if (!key.startsWith(prefix)) continue;
        n++;
        yield raw;
      }
    },
    async purge(prefix, before) {
      let n = 0;
      for (const [key, at] of expiry) {
        if (key.startsWith(prefix) && at <= before) {
          drop(key);
          n++;
        }
      }
      return n;
    },
  };
}

/**
 * In-process store on Keyv's in-memory `Map`.
 *
 * @example
 * ```ts
 * import { MemoryStore, createIdempotency } from "@agent-idempotency/core";
 * const idempotency = createIdempotency({ store: new MemoryStore(), tools: { charge_card: {} } });
 * ```
 */
export class MemoryStore extends KeyvBackedStore {
  constructor(options: MemoryStoreOptions = {}) {
    const map = new Map<string, string>();
    const keyv = new Keyv({ store: map, namespace: options.namespace ?? "idempotency" });
    super({ keyv, atomic: mapOps(map, options.sweepEvery ?? 256), name: "memory" });
  }

  /** How many keys the map holds (expired ones not yet swept included). */
  get size(): number {
    return (this.keyv.store as Map<string, string>).size;
  }
}
