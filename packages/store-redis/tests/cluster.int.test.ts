/** RedisStore on the shared test cluster: keys on every master, list/purge across them, WAIT, URIs. */
import { createIdempotency, createStore, isIdempotencyError } from "@agent-idempotency/core";
import { claimRequest } from "@agent-idempotency/core/testing";
import { keySlot, RedisStore } from "@agent-idempotency/store-redis";
import { createCluster } from "@keyv/redis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { deleteClusterPrefix, uniquePrefix } from "./support/redis-admin.js";

const rootNodes = inject("redisClusterNodes");
const prefixes: string[] = [];
const prefix = (tag: string) => {
  const p = uniquePrefix(tag);
  prefixes.push(p);
  return p;
};

/** The master ports that hold each of `keys`, read from the cluster's own slot map. */
async function mastersOf(keys: string[]): Promise<Set<string>> {
  const cluster = createCluster({ rootNodes: rootNodes!.map((url) => ({ url })) });
  cluster.on("error", () => undefined);
  await cluster.connect();
  try {
    return new Set(keys.map((k) => String(cluster.slots[keySlot(k)]!.master.port)));
  } finally {
    cluster.destroy();
  }
}

describe.skipIf(!rootNodes)("RedisStore on a Redis Cluster", () => {
  afterAll(async () => {
    for (const p of prefixes) await deleteClusterPrefix(rootNodes!, p);
  });

  it("keySlot(): agrees with the server's CLUSTER KEYSLOT, hash tags included", async () => {
    const cluster = createCluster({ rootNodes: rootNodes!.map((url) => ({ url })) });
    cluster.on("error", () => undefined);
    await cluster.connect();
    try {
      for (const k of ["foo", "{user1000}.following", "{}{x}", "a{b}c{d}", "idempotency::idempotency:v1:0f3c", "é漢字🎉"]) {
        expect(keySlot(k)).toBe(Number(await cluster.sendCommand(k, true, ["CLUSTER", "KEYSLOT", k])));
      }
    } finally {
      cluster.destroy();
    }
  });

  it("list() and purge(): walk every master; records of one namespace spread over all of them", async () => {
    const store = new RedisStore({ rootNodes: rootNodes!, prefix: prefix("walk") });
    const now = Date.now();
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
    for (const [i, k] of keys.entries()) {
      // Two thirds expire at now + 1 h, the rest a day later.
      await store.claim(k, claimRequest(0, { now, leaseMs: 1000, retentionMs: i % 3 === 0 ? 86_400_000 : 3_600_000 }));
    }
    expect((await mastersOf(keys.map((k) => store.redisKey(k)))).size).toBe(3);
    const listed = [];
    for await (const r of store.list()) listed.push(r.key);
    expect(listed.sort()).toEqual([...keys].sort());
    expect(await store.purge({ before: now + 2 * 3_600_000 })).toBe(200);
    let left = 0;
    for await (const _ of store.list()) left++;
    expect(left).toBe(100);
    await store.close();
  });

  it("waitForReplicas: with 1 replica per master, WAIT 1 succeeds; asking for 2 fails the claim closed and the tool never runs", async () => {
    const p = prefix("wait");
    const ok = new RedisStore({ rootNodes: rootNodes!, prefix: p, waitForReplicas: { replicas: 1, timeoutMs: 2000 } });
    let effects = 0;
    const engine = createIdempotency({ store: ok, tools: { book: {} }, onWarning: () => undefined });
    const book = (slot: string) => engine.run({ action: "book", args: { slot }, sessionId: "s" }, async () => ++effects);
    expect((await book("10:00")).replayed).toBe(false);
    expect((await book("10:00")).replayed).toBe(true);
    const greedy = new RedisStore({ rootNodes: rootNodes!, prefix: p, waitForReplicas: { replicas: 2, timeoutMs: 200 } });
    const e = (await greedy.claim("other", claimRequest()).catch((err: unknown) => err)) as Error;
    expect(isIdempotencyError(e, "STORE_FAILED")).toBe(true);
    expect(String((e.cause as Error | undefined)?.message ?? e.message)).toContain("only 1 of 2 replicas acknowledged");
    expect(effects).toBe(1);
    await engine.close();
    await greedy.close();
  });

  it("createStore(): redis://…?cluster=true&nodes=… opens a RedisStore on the cluster", async () => {
    const [first, ...rest] = rootNodes!;
    const p = prefix("uri");
    const store = (await createStore(`${first}?cluster=true&prefix=${p}&nodes=${rest.map((u) => new URL(u).host).join(",")}`)) as RedisStore;
    expect(store.cluster).toBe(true);
    expect((await store.claim("k", claimRequest())).outcome).toBe("claimed");
    await store.close();
    await expect(createStore(`${first}?cluster=yes`)).rejects.toThrow(/cluster=true/);
  });
});
