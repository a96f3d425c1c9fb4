import { createIdempotency, isIdempotencyError } from "@agent-idempotency/core";
import type { ClaimRequest } from "@agent-idempotency/core";
import { RedisStore } from "@agent-idempotency/store-redis";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AdminClient } from "./support/redis-admin.js";
import { clientIdsNamed, deletePrefix, killClientsNamed, openAdmin, uniquePrefix } from "./support/redis-admin.js";
import { closedPort, startProxy } from "./support/tcp-proxy.js";

const url = inject("redisUrl");

function request(overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return { scope: "s-1", action: "book", fingerprint: "f".repeat(32), now: Date.now(), leaseMs: 30_000, retentionMs: 60_000, ...overrides };
}

/** Calls `op` until it succeeds (at most ~10 s); every failure on the way must be an IdempotencyStoreError. */
async function untilItWorks<T>(op: () => Promise<T>): Promise<{ value: T; failures: number }> {
  let failures = 0;
  for (;;) {
    try {
      return { value: await op(), failures };
    } catch (error) {
      expect(isIdempotencyError(error, "STORE_FAILED")).toBe(true);
      if (++failures > 100) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** An engine whose only tool counts its real executions. */
function countingEngine(store: RedisStore) {
  let effects = 0;
  const idempotency = createIdempotency({ store, tools: { book: { identity: ["slot"] } }, onWarning: () => undefined });
  const book = (slot: string) =>
    idempotency.run({ action: "book", args: { slot }, sessionId: "s-1" }, async () => {
      effects++;
      return { booking: slot };
    });
  return { book, effects: () => effects };
}

describe("RedisStore with no server", () => {
  it("claim()/get()/setup()/keyv.get(): an unreachable server fails closed with IdempotencyStoreError and its cause", async () => {
    const store = new RedisStore({ url: `redis://127.0.0.1:${await closedPort()}`, prefix: "sr-unreachable" });
    const engine = countingEngine(store);
    for (const op of [() => store.claim("k", request()), () => store.get("k"), () => store.setup(), () => engine.book("10:00")]) {
      const error = (await op().catch((e: unknown) => e)) as Error;
      expect(isIdempotencyError(error, "STORE_FAILED")).toBe(true);
      expect(error.message).toMatch(/^\[agent-idempotency\] \[store-redis\] /);
      expect(String((error.cause as Error | undefined)?.message)).toMatch(/ECONNREFUSED/);
    }
    expect(engine.effects()).toBe(0);
    // Reading through Keyv throws too instead of answering "no record".
    await expect(store.keyv.get("k")).rejects.toThrow();
    await store.close();
  });
});

describe("RedisStore against a server that accepts connections and never answers", () => {
  it("claim(): fails closed within connectTimeoutMs instead of hanging in the connection handshake", async () => {
    const silent = createServer((socket) => socket.on("error", () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const store = new RedisStore({ url: `redis://127.0.0.1:${(silent.address() as AddressInfo).port}`, prefix: "sr-silent", connectTimeoutMs: 300 });
    try {
      const error = (await store.claim("k", request()).catch((e: unknown) => e)) as Error;
      expect(isIdempotencyError(error, "STORE_FAILED")).toBe(true);
      expect(String((error.cause as Error).message)).toContain("no connection to Redis within 300 ms");
    } finally {
      await store.close();
      silent.close();
    }
  });
});

describe.skipIf(!url)("RedisStore through outages", () => {
  let admin: AdminClient;
  const prefixes: string[] = [];
  const prefix = (tag: string) => {
    const p = uniquePrefix(tag);
    prefixes.push(p);
    return p;
  };

  beforeAll(async () => {
    admin = await openAdmin(url!);
  });
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(url!, p);
    await admin?.close();
  });

  it("a server that goes away mid-run: calls fail closed, nothing runs unclaimed, and after it returns records replay", async () => {
    const proxy = await startProxy(url!);
    const store = new RedisStore({ url: proxy.url, prefix: prefix("outage") });
    const engine = countingEngine(store);
    try {
      expect((await engine.book("10:00")).replayed).toBe(false);
      expect(engine.effects()).toBe(1);

      await proxy.stop();
      for (const slot of ["10:00", "11:00", "11:00"]) {
        const error = await engine.book(slot).catch((e: unknown) => e);
        expect(isIdempotencyError(error, "STORE_FAILED")).toBe(true);
      }
      expect(engine.effects()).toBe(1);

      await proxy.start();
      const again = await untilItWorks(() => engine.book("10:00"));
      expect(again.value.replayed).toBe(true); // the completed record survived the outage
      expect((await engine.book("11:00")).replayed).toBe(false);
      expect((await engine.book("11:00")).replayed).toBe(true);
      expect(engine.effects()).toBe(2);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });

  it("a server that hangs mid-run: calls fail closed after commandTimeoutMs, and work again once it answers", async () => {
    const proxy = await startProxy(url!);
    const store = new RedisStore({ url: proxy.url, prefix: prefix("hang"), commandTimeoutMs: 300 });
    const engine = countingEngine(store);
    try {
      expect((await engine.book("10:00")).replayed).toBe(false);
      proxy.freeze();
      const error = (await engine.book("11:00").catch((e: unknown) => e)) as Error;
      expect(isIdempotencyError(error, "STORE_FAILED")).toBe(true);
      expect(String((error.cause as Error).message)).toContain("did not answer within 300 ms");
      proxy.thaw();
      // The claim the hung call sent may still have landed (a timed-out write can run late), in
      // which case 11:00 waits out its lease; 12:00 shows the store is back, 10:00 that nothing was lost.
      expect((await untilItWorks(() => engine.book("10:00"))).value.replayed).toBe(true);
      expect((await engine.book("12:00")).replayed).toBe(false);
      expect(engine.effects()).toBe(2);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });

  it("a killed connection (CLIENT KILL of this store's client only): calls fail closed until it reconnects, then the holder completes", async () => {
    const name = `sr-kill-${Math.random().toString(36).slice(2, 10)}`;
    const store = new RedisStore({ url: url!, prefix: prefix("kill"), clientName: name });
    const first = await store.claim("k", request());
    if (first.outcome !== "claimed") throw new Error("expected a claim");
    const [before] = await clientIdsNamed(admin, name);
    expect(await killClientsNamed(admin, name)).toBe(1);

    const read = await untilItWorks(() => store.get("k"));
    expect(read.value?.status).toBe("in_progress");
    expect(await store.complete(first.claim, { value: "done", now: Date.now(), ttlMs: 60_000 })).toBe(true);
    expect((await store.get("k"))?.status).toBe("completed");
    const after = await clientIdsNamed(admin, name);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
    await store.close();
  });
});
