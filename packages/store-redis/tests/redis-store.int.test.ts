import { createStore, isIdempotencyError } from "@agent-idempotency/core";
import type { ClaimRequest, ClaimResult } from "@agent-idempotency/core";
import { RedisStore } from "@agent-idempotency/store-redis";
import KeyvRedis, { createClient } from "@keyv/redis";
import Keyv from "keyv";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RawClient } from "../src/raw-client.js";
import type { AdminClient } from "./support/redis-admin.js";
import { clientIdsNamed, deletePrefix, openAdmin, uniquePrefix } from "./support/redis-admin.js";

const url = inject("redisUrl");
const HOUR = 3_600_000;

function request(now: number, overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return { scope: "s", action: "book", fingerprint: "f".repeat(32), now, leaseMs: 30_000, retentionMs: 60_000, ...overrides };
}

function claimed(r: ClaimResult) {
  if (r.outcome !== "claimed") throw new Error(`expected a claim, got ${r.outcome}`);
  return r.claim;
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe.skipIf(!url)("RedisStore on a real server", () => {
  let admin: AdminClient;
  const prefixes: string[] = [];
  const open = (tag: string, extra: Partial<ConstructorParameters<typeof RedisStore>[0]> = {}) => {
    const prefix = uniquePrefix(tag);
    prefixes.push(prefix);
    return new RedisStore({ url: url!, prefix, ...extra });
  };
  const pexpiretime = async (key: string) => Number(await admin.sendCommand(["PEXPIRETIME", key]));

  beforeAll(async () => {
    admin = await openAdmin(url!);
  });
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(url!, p);
    await admin?.close();
  });

  it("claim(): the key expires natively at the record's physical expiry (leaseUntil + retentionMs)", async () => {
    const store = open("ttl");
    const now = Date.now();
    const claim = claimed(await store.claim("k", request(now)));
    expect(await pexpiretime(store.redisKey("k"))).toBe(now + 30_000 + 60_000);
    // The Keyv `expires` inside the value names the same instant, so a Keyv reader agrees.
    const raw = JSON.parse(String(await admin.get(store.redisKey("k"))));
    expect(raw.expires).toBe(now + 90_000);
    expect(await store.heartbeat(claim, { now: now + 10_000, leaseMs: 30_000 })).toBe(true);
    expect(await pexpiretime(store.redisKey("k"))).toBe(now + 10_000 + 30_000 + 60_000);
    await store.close();
  });

  it("complete(): a completed record's TTL follows ttlMs", async () => {
    const store = open("ttl");
    const now = Date.now();
    const claim = claimed(await store.claim("k", request(now)));
    expect(await store.complete(claim, { value: { ok: 1 }, now: now + 5, ttlMs: 2 * HOUR })).toBe(true);
    expect(await pexpiretime(store.redisKey("k"))).toBe(now + 5 + 2 * HOUR);
    const pttl = Number(await admin.sendCommand(["PTTL", store.redisKey("k")]));
    expect(pttl).toBeGreaterThan(HOUR);
    // The deadline is now + 5 ms + 2 h; read within those 5 ms, PTTL is just above 2 h.
    expect(pttl).toBeLessThanOrEqual(2 * HOUR + 5);
    await store.close();
  });

  it("complete(): Redis drops the record by itself once ttlMs has passed, and the key is free again", async () => {
    const store = open("expire");
    const first = claimed(await store.claim("k", request(Date.now())));
    expect(await store.complete(first, { value: 1, now: Date.now(), ttlMs: 300 })).toBe(true);
    await eventually(async () => (Number(await admin.exists(store.redisKey("k"))) === 0 ? true : undefined), "the key to expire");
    expect(await store.get("k")).toBeUndefined();
    const again = await store.claim("k", request(Date.now()));
    expect(again.outcome).toBe("claimed");
    if (again.outcome === "claimed") expect(again.previous).toBeUndefined();
    await store.close();
  });

  it("close(): disconnects the client the store opened; idempotent; later calls fail closed", async () => {
    const name = `sr-close-${Math.random().toString(36).slice(2, 10)}`;
    const store = open("close", { clientName: name });
    await store.setup();
    expect(await clientIdsNamed(admin, name)).toHaveLength(1);
    await store.close();
    await store.close();
    await eventually(async () => ((await clientIdsNamed(admin, name)).length === 0 ? true : undefined), "the connection to close");
    const error = await store.get("k").catch((e: unknown) => e);
    expect(isIdempotencyError(error, "STORE_FAILED")).toBe(true);
  });

  it("close(): leaves an injected client open (and connects it if needed), detaching the adapter's listeners", async () => {
    const client = createClient({ url: url! });
    client.on("error", () => undefined);
    const listeners = () => ["error", "connect", "disconnect", "reconnecting"].map((e) => client.listenerCount(e));
    const before = listeners();
    const prefix = uniquePrefix("injected");
    prefixes.push(prefix);
    const store = new RedisStore({ client, prefix });
    expect(store.toJSON().ownsClient).toBe(false);
    expect(claimed(await store.claim("k", request(Date.now()))).attempt).toBe(1);
    expect(client.isOpen).toBe(true);
    await store.close();
    await store.close();
    expect(client.isOpen).toBe(true);
    expect(await client.ping()).toBe("PONG");
    expect(listeners()).toEqual(before);
    // a second store on the same client still works after the first one closed
    const other = new RedisStore({ client, prefix });
    expect((await other.get("k"))?.status).toBe("in_progress");
    await other.close();
    await client.close();
  });

  it("createStore(): core's redis://…?prefix= URI opens a RedisStore on that prefix", async () => {
    const prefix = uniquePrefix("uri");
    prefixes.push(prefix);
    const store = await createStore(`${url}?prefix=${prefix}`);
    expect(store).toBeInstanceOf(RedisStore);
    expect((store as RedisStore).prefix).toBe(prefix);
    claimed(await store.claim("k", request(Date.now())));
    expect(Number(await admin.exists((store as RedisStore).redisKey("k")))).toBe(1);
    await store.close();
  });

  it("setup(): two instances set up concurrently on one prefix, then share the records", async () => {
    const a = open("setup");
    const b = new RedisStore({ url: url!, prefix: a.prefix });
    await Promise.all([a.setup(), b.setup(), a.setup(), b.setup()]);
    const results = await Promise.all([a.claim("k", request(Date.now())), b.claim("k", request(Date.now()))]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["claimed", "existing"]);
    await Promise.all([a.close(), b.close()]);
  });

  it("list(): yields the records of its own prefix only, skips foreign values, honours limit", async () => {
    const store = open("list");
    const longer = new RedisStore({ url: url!, prefix: `${store.prefix}.b` });
    prefixes.push(longer.prefix);
    const now = Date.now();
    for (let i = 0; i < 5; i++) claimed(await store.claim(`k${i}`, request(now)));
    for (let i = 0; i < 2; i++) claimed(await longer.claim(`k${i}`, request(now)));
    const plain = new Keyv(new KeyvRedis(url!), { namespace: store.prefix });
    for (let i = 0; i < 10; i++) await plain.set(`foreign-${i}`, { hello: "world" }, HOUR);
    await plain.disconnect();
    const keys: string[] = [];
    for await (const r of store.list()) keys.push(r.key);
    expect(keys.sort()).toEqual(["k0", "k1", "k2", "k3", "k4"]);
    // Foreign values never count toward the limit: 5 of 15 values are records, and all 5 come back.
    for (const limit of [5, 2, 0]) {
      let n = 0;
      for await (const _ of store.list({ limit })) n++;
      expect(n).toBe(limit);
    }
    await Promise.all([store.close(), longer.close()]);
  });

  it("purge(): deletes exactly the records whose physical expiry is at or before `before`", async () => {
    const store = open("purge");
    const now = Date.now();
    for (const [k, ttlMs] of [["a", HOUR], ["b", HOUR], ["c", HOUR], ["d", 3 * HOUR], ["e", 3 * HOUR]] as const) {
      expect(await store.complete(claimed(await store.claim(k, request(now))), { value: k, now, ttlMs })).toBe(true);
    }
    // Keys without a TTL (as a plain keyv.set without ttl writes them): the value's `expires` decides.
    await admin.set(store.redisKey("no-ttl-expires"), JSON.stringify({ value: "x", expires: now + 1000 }));
    await admin.set(store.redisKey("no-ttl-forever"), JSON.stringify({ value: "y" }));
    expect(await store.purge({ before: now - 1 })).toBe(0);
    expect(await store.purge({ before: now + 2 * HOUR })).toBe(4);
    const left = await Promise.all(["a", "b", "c", "d", "e", "no-ttl-expires", "no-ttl-forever"].map(async (k) => Number(await admin.exists(store.redisKey(k)))));
    expect(left).toEqual([0, 0, 0, 1, 1, 0, 1]);
    expect(await store.purge({ before: now + 2 * HOUR })).toBe(0);
    await store.close();
  });

  it("claim(): a server error (a hash under the key) surfaces as IdempotencyStoreError with the cause", async () => {
    const store = open("wrongtype");
    await admin.hSet(store.redisKey("k"), "f", "v");
    const error = (await store.claim("k", request(Date.now())).catch((e: unknown) => e)) as Error;
    expect(isIdempotencyError(error, "STORE_FAILED")).toBe(true);
    expect(error.message).toMatch(/^\[agent-idempotency\] \[store-redis\] claim failed for key k: .*WRONGTYPE/);
    expect(String((error.cause as Error).message)).toContain("WRONGTYPE");
    await store.close();
  });

  it("evalScript(): falls back to EVAL when the server does not know the script yet (NOSCRIPT)", async () => {
    const raw = new RawClient({ url: url!, clientName: "sr-noscript", connectTimeoutMs: 2000, commandTimeoutMs: 5000 });
    const source = `-- ${Math.random()}\nreturn ARGV[1]`;
    const script = { name: "probe", source, sha: (await import("node:crypto")).createHash("sha1").update(source).digest("hex") };
    expect(await raw.send(["SCRIPT", "EXISTS", script.sha])).toEqual([0]);
    expect(await raw.evalScript(script, [], ["hello"])).toBe("hello");
    expect(await raw.send(["SCRIPT", "EXISTS", script.sha])).toEqual([1]);
    await raw.close();
  });
});
