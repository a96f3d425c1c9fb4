/**
 * {@link KeyvStore}: an idempotency store on any Keyv instance you already have.
 *
 * Keyv offers only get/set/delete, so the atomic primitives here are get-then-set made atomic by
 * a lock per key inside this process. Two processes sharing the backend can both claim the same
 * key. For shared backends use `SqliteStore`, `PostgresStore` or `RedisStore`, which implement
 * the primitives on the backend itself.
 */
import type Keyv from "keyv";
import type { AtomicOps } from "./keyv-store.js";
import { KeyvBackedStore } from "./keyv-store.js";

function lockedOps(keyv: Keyv): AtomicOps {
  const adapter = keyv.store as {
    get(key: string): Promise<unknown> | unknown;
    set(key: string, value: string, ttl?: number): Promise<unknown> | unknown;
    delete(key: string): Promise<unknown> | unknown;
  };
  const locks = new Map<string, Promise<unknown>>();
  const withLock = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(key, tail);
    void tail.then(() => {
      if (locks.get(key) === tail) locks.delete(key);
    });
    return run;
  };
  const read = async (key: string) => {
    const raw = await adapter.get(key);
    return typeof raw === "string" ? raw : undefined;
  };
  const ttl = (expiresAt: number) => Math.max(1, expiresAt - Date.now());
  return {
    insertIfAbsent: (key, raw, expiresAt) =>
      withLock(key, async () => {
        const existing = await read(key);
        if (existing !== undefined) return { inserted: false as const, existing };
        await adapter.set(key, raw, ttl(expiresAt));
        return { inserted: true as const };
      }),
    compareAndSet: (key, expected, raw, expiresAt) =>
      withLock(key, async () => {
        if ((await read(key)) !== expected) return false;
        await adapter.set(key, raw, ttl(expiresAt));
        return true;
      }),
    compareAndDelete: (key, expected) =>
      withLock(key, async () => {
        if ((await read(key)) !== expected) return false;
        await adapter.delete(key);
        return true;
      }),
    get: read,
  };
}

/**
 * An idempotency store on any Keyv instance. Atomic only within one process (see the file
 * header); records are ordinary Keyv entries, so `keyv.get(key)` reads them.
 */
export class KeyvStore extends KeyvBackedStore {
  constructor(keyv: Keyv, options: { name?: string } = {}) {
    super({ keyv, atomic: lockedOps(keyv), name: options.name ?? "keyv" });
  }
}
