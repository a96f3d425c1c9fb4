/** PostgresStore against the real server: setup, pool ownership, Keyv compatibility, cleanup. */
import { claimRequest } from "@agent-idempotency/core/testing";
import { EXPIRES_EXPRESSION } from "@agent-idempotency/store-postgres/schema";
import { PostgresStore } from "@agent-idempotency/store-postgres";
import { KeyvPostgres } from "@keyv/postgres";
import Keyv from "keyv";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { tableNames } from "../../../test/support/unique-tables.js";
import { dropTables, withAdmin } from "./helpers.js";

const uri = inject("pgUrl")!;
const { table, created: tables } = tableNames();
const schemas: string[] = [];

/** A record whose physical expiry is `ageMs` in the past (lease ended, no retention). */
const expired = (ageMs: number) => claimRequest(0, { now: Date.now() - ageMs - 1000, leaseMs: 1000, retentionMs: 0 });

describe.skipIf(!inject("pgUrl"))("PostgresStore (real server)", () => {
  afterAll(async () => {
    await dropTables(uri, tables);
    await withAdmin(uri, async (c) => {
      for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    });
  });

  it("setup(): four instances at once apply each migration exactly once", async () => {
    const t = table("setup");
    const stores = Array.from({ length: 4 }, () => new PostgresStore({ uri, table: t }));
    await Promise.all(stores.map((s) => s.setup()));
    const rows = await withAdmin(uri, async (c) => (await c.query(`SELECT version FROM "${t}_migrations" ORDER BY version`)).rows);
    expect(rows.map((r) => r.version)).toEqual([0, 1]);
    const idx = await withAdmin(uri, async (c) => (await c.query("SELECT indexname FROM pg_indexes WHERE tablename = $1", [t])).rows);
    expect(idx.map((r) => r.indexname).sort()).toEqual([`${t}_expires_idx`, `${t}_pkey`]);
    await Promise.all(stores.map((s) => s.close()));
  });

  it("setup(): adopts a table that plain Keyv created first, and its rows", async () => {
    const t = table("adopt");
    const keyv = new Keyv(new KeyvPostgres({ uri, table: t }), { namespace: "idempotency" });
    await keyv.set("foreign", { hello: "world" });
    await keyv.disconnect();
    const store = new PostgresStore({ uri, table: t });
    const r = await store.claim("k1", claimRequest());
    expect(r.outcome).toBe("claimed");
    expect(await store.keyv.get("foreign")).toEqual({ hello: "world" });
    await store.close();
  });

  it("schema: a custom schema is created, and Keyv with the same schema reads the records", async () => {
    const t = table("schema");
    const schema = `s_${t}`;
    schemas.push(schema);
    const store = new PostgresStore({ uri, table: t, schema, namespace: "ns1" });
    const c = await store.claim("k1", claimRequest(0, { now: Date.now() }));
    if (c.outcome !== "claimed") throw new Error("expected a claim");
    await store.complete(c.claim, { value: { ok: 1 }, now: Date.now(), ttlMs: 60_000 });
    const keyv = new Keyv(new KeyvPostgres({ uri, table: t, schema }), { namespace: "ns1" });
    expect(await keyv.get("k1")).toMatchObject({ status: "completed", value: { ok: 1 } });
    await keyv.disconnect();
    await store.close();
  });

  it("close(): two stores on one URI, closing one leaves the other working", async () => {
    const t = table("close");
    const a = new PostgresStore({ uri, table: t, namespace: "a" });
    const b = new PostgresStore({ uri, table: t, namespace: "b" });
    expect(a.ownsPool && b.ownsPool).toBe(true);
    await a.claim("k", claimRequest());
    await b.claim("k", claimRequest());
    await a.close();
    await a.close(); // idempotent
    await expect(a.get("k")).rejects.toMatchObject({ name: "IdempotencyStoreError" });
    expect((await b.claim("k2", claimRequest())).outcome).toBe("claimed");
    expect((await b.get("k"))?.status).toBe("in_progress");
    // Keyv's disconnect() on either store's adapter ends nobody's pool (2.x would end a process-wide one).
    await b.keyv.disconnect();
    expect((await b.get("k2"))?.status).toBe("in_progress");
    await b.close();
  });

  it("close(): an injected pool is used, and still usable after close()", async () => {
    const t = table("inject");
    const pool = new pg.Pool({ connectionString: uri, max: 2 });
    try {
      const store = new PostgresStore({ uri, table: t, pool });
      expect(store.ownsPool).toBe(false);
      expect((await store.claim("k", claimRequest())).outcome).toBe("claimed");
      await store.close();
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${t}"`);
      expect(rows[0].n).toBe(1);
      expect(pool.listenerCount("error")).toBe(0); // our idle-error listener is detached again
    } finally {
      await pool.end();
    }
  });

  it("keyv: a store's own Keyv and a plain Keyv read each other's rows in one table", async () => {
    const t = table("keyv");
    const store = new PostgresStore({ uri, table: t, namespace: "ns" });
    const c = await store.claim("k1", claimRequest(0, { now: Date.now() }));
    if (c.outcome !== "claimed") throw new Error("expected a claim");
    await store.complete(c.claim, { value: "v", responseId: "r1", now: Date.now(), ttlMs: 60_000 });
    expect(await store.keyv.get("k1")).toMatchObject({ status: "completed", value: "v", responseId: "r1" });
    const plain = new Keyv(new KeyvPostgres({ uri, table: t }), { namespace: "ns" });
    expect(await plain.get("k1")).toMatchObject({ status: "completed", value: "v" });
    await plain.set("other", 42);
    expect(await store.keyv.get("other")).toBe(42);
    await plain.disconnect();
    await store.close();
  });

  it("purge(): deletes expired records of its namespace only, including rows plain Keyv wrote", async () => {
    const t = table("purge");
    const store = new PostgresStore({ uri, table: t, namespace: "mine", purgeEvery: 0, purgeBatch: 3 });
    const other = new PostgresStore({ uri, table: t, namespace: "other", purgeEvery: 0 });
    for (let i = 0; i < 7; i++) await store.claim(`old-${i}`, expired(60_000));
    await store.claim("live", claimRequest(0, { now: Date.now() }));
    await other.claim("old", expired(60_000));
    const keyv = new Keyv(new KeyvPostgres({ uri, table: t }), { namespace: "mine" });
    await keyv.set("keyv-ttl", "x", 1); // expires in 1 ms, written by Keyv itself
    await keyv.set("keyv-forever", "y");
    await keyv.disconnect();
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.purge({ before: Date.now() })).toBe(8); // in batches of 3: 3 + 3 + 2
    expect(await store.get("old-0")).toBeUndefined();
    expect((await store.get("live"))?.status).toBe("in_progress");
    expect((await other.get("old"))?.status).toBe("in_progress");
    const left = await withAdmin(uri, async (c) => (await c.query(`SELECT key FROM "${t}" ORDER BY key`)).rows.map((r) => r.key));
    expect(left).toEqual(["mine:keyv-forever", "mine:live", "other:old"]);
    await store.close();
    await other.close();
  });

  it("purge(): the expiry predicate is served by the partial expression index", async () => {
    const t = table("plan");
    const store = new PostgresStore({ uri, table: t });
    await store.setup();
    const plan = await withAdmin(uri, async (c) => {
      await c.query("SET enable_seqscan = off");
      const r = await c.query(`EXPLAIN SELECT key FROM "${t}" WHERE ${EXPIRES_EXPRESSION} <= 5 AND starts_with(key, 'idempotency:')`);
      return r.rows.map((row) => row["QUERY PLAN"]).join("\n");
    });
    expect(plan).toContain(`${t}_expires_idx`);
    await store.close();
  });

  it("purge: a bounded batch runs in the background every purgeEvery writes", async () => {
    const t = table("bg");
    const store = new PostgresStore({ uri, table: t, purgeEvery: 5, purgeBatch: 100 });
    for (let i = 0; i < 4; i++) await store.claim(`old-${i}`, expired(60_000)); // writes 1..4
    await store.idle();
    expect(await store.get("old-0")).toBeDefined(); // no purge yet
    await store.claim("fresh", claimRequest(0, { now: Date.now() })); // write 5 triggers one batch
    await store.idle();
    for (let i = 0; i < 4; i++) expect(await store.get(`old-${i}`)).toBeUndefined();
    expect((await store.get("fresh"))?.status).toBe("in_progress");
    await store.close();
  });

  it("list(): yields this namespace's records, page after page, up to the limit", async () => {
    const t = table("list");
    const store = new PostgresStore({ uri, table: t, namespace: "a_b" });
    const other = new PostgresStore({ uri, table: t, namespace: "aXb" }); // `_` is not a wildcard here
    for (let i = 0; i < 12; i++) await store.claim(`k${i}`, claimRequest());
    await other.claim("x", claimRequest());
    const all: string[] = [];
    for await (const r of store.list()) all.push(r.key);
    expect(all.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `k${i}`).sort());
    const some: string[] = [];
    for await (const r of store.list({ limit: 5 })) some.push(r.key);
    expect(some).toHaveLength(5);
    await store.close();
    await other.close();
  });

  it("claim(): a key longer than Keyv's VARCHAR(255) fails as a store error, not silently", async () => {
    const store = new PostgresStore({ uri, table: table("long") });
    await expect(store.claim("k".repeat(300), claimRequest())).rejects.toMatchObject({ name: "IdempotencyStoreError" });
    await store.close();
  });
});
