/** MysqlStore against the real server: setup, pool ownership, Keyv compatibility, collation, purge, audit. */
import { claimRequest } from "@agent-idempotency/core/testing";
import { MysqlAuditLog, MysqlStore } from "@agent-idempotency/store-mysql";
import KeyvMysql from "@keyv/mysql";
import Keyv from "keyv";
import mysql from "mysql2/promise";
import { afterAll, describe, expect, inject, it } from "vitest";
import { tableNames, uniqueTable } from "../../../test/support/unique-tables.js";
import { dropTables, withAdmin } from "./helpers.js";

const uri = inject("mysqlUrl")!;
const { table, created: tables } = tableNames();

/** A record whose physical expiry is `ageMs` in the past (lease ended, no retention). */
const expired = (ageMs: number) => claimRequest(0, { now: Date.now() - ageMs - 1000, leaseMs: 1000, retentionMs: 0 });

describe.skipIf(!inject("mysqlUrl"))("MysqlStore (real server)", () => {
  afterAll(() => dropTables(uri, tables));

  it("setup(): four instances at once apply each migration exactly once", async () => {
    const t = table("setup");
    const stores = Array.from({ length: 4 }, () => new MysqlStore({ uri, table: t }));
    await Promise.all(stores.map((s) => s.setup()));
    const rows = await withAdmin(uri, async (c) => (await c.query(`SELECT version FROM \`${t}_migrations\` ORDER BY version`))[0] as { version: number }[]);
    expect(rows.map((r) => r.version)).toEqual([0]);
    const cols = await withAdmin(uri, async (c) => (await c.query("SELECT column_name AS c, collation_name AS k FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position", [t]))[0] as { c: string; k: string | null }[]);
    expect(cols).toEqual([{ c: "id", k: "utf8mb4_bin" }, { c: "value", k: "utf8mb4_bin" }, { c: "expires_at", k: null }]);
    await Promise.all(stores.map((s) => s.close()));
  });

  it("setup(): adopts a table that plain Keyv created first, and its rows", async () => {
    const t = table("adopt");
    const keyv = new Keyv(new KeyvMysql({ uri, table: t }), { namespace: "idempotency" });
    await keyv.set("foreign", { hello: "world" });
    await keyv.disconnect();
    const store = new MysqlStore({ uri, table: t });
    expect((await store.claim("k1", claimRequest())).outcome).toBe("claimed");
    expect(await store.keyv.get("foreign")).toEqual({ hello: "world" });
    await store.close();
  });

  it("namespaces that differ only in case are apart (binary collation), and so are values that differ only in case", async () => {
    const t = table("case");
    const upper = new MysqlStore({ uri, table: t, namespace: "Team" });
    const lower = new MysqlStore({ uri, table: t, namespace: "team" });
    expect((await upper.claim("K", claimRequest())).outcome).toBe("claimed");
    expect((await lower.claim("K", claimRequest())).outcome).toBe("claimed");
    expect((await lower.claim("k", claimRequest())).outcome).toBe("claimed");
    // A compare-and-set whose expected value differs only in case must not match.
    await withAdmin(uri, async (c) => {
      const [[row]] = (await c.query(`SELECT value FROM \`${t}\` WHERE id = 'team:k'`)) as unknown as [[{ value: string }]];
      const [res] = (await c.query(`UPDATE \`${t}\` SET value = 'x' WHERE id = 'team:k' AND value = ?`, [row.value.toUpperCase()])) as unknown as [{ affectedRows: number }];
      expect(res.affectedRows).toBe(0);
    });
    await upper.close();
    await lower.close();
  });

  it("claim(): a key longer than the id column fails closed instead of being truncated by INSERT IGNORE", async () => {
    const store = new MysqlStore({ uri, table: table("long") });
    const e = await store.claim("k".repeat(300), claimRequest()).catch((err: Error) => err);
    expect((e as Error).name).toBe("IdempotencyStoreError");
    expect(String(((e as Error).cause as Error).message)).toContain("255 characters");
    await store.close();
  });

  it("complete(): a result larger than Keyv's 64 KB TEXT is stored and replayed whole (LONGTEXT)", async () => {
    const store = new MysqlStore({ uri, table: table("big") });
    const c = await store.claim("k", claimRequest(0, { now: Date.now() }));
    if (c.outcome !== "claimed") throw new Error("expected a claim");
    const big = "x".repeat(300_000);
    expect(await store.complete(c.claim, { value: big, now: Date.now(), ttlMs: 60_000 })).toBe(true);
    const r = await store.get("k");
    expect(r?.status === "completed" && r.value).toBe(big);
    await store.close();
  });

  it("close(): two stores on one URI, closing one leaves the other working; an injected pool stays open", async () => {
    const t = table("close");
    const a = new MysqlStore({ uri, table: t, namespace: "a" });
    const b = new MysqlStore({ uri, table: t, namespace: "b" });
    await a.claim("k", claimRequest());
    await a.close();
    await expect(a.get("k")).rejects.toMatchObject({ name: "IdempotencyStoreError" });
    expect((await b.claim("k2", claimRequest())).outcome).toBe("claimed");
    await b.keyv.disconnect(); // 2.x would end a process-wide pool here; ours stays
    expect((await b.get("k2"))?.status).toBe("in_progress");
    await b.close();
    const pool = mysql.createPool({ uri, connectionLimit: 2 });
    try {
      const store = new MysqlStore({ pool, table: t, namespace: "c" });
      expect(store.ownsPool).toBe(false);
      expect((await store.claim("k", claimRequest())).outcome).toBe("claimed");
      await store.close();
      const [[row]] = (await pool.query(`SELECT COUNT(*) AS n FROM \`${t}\` WHERE id LIKE 'c:%'`)) as unknown as [[{ n: number }]];
      expect(Number(row.n)).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("purge(): deletes expired records of its namespace only, in batches, and never a row Keyv rewrote with a later expiry", async () => {
    const t = table("purge");
    const store = new MysqlStore({ uri, table: t, namespace: "my_ns", purgeEvery: 0, purgeBatch: 3 });
    const other = new MysqlStore({ uri, table: t, namespace: "myXns", purgeEvery: 0 }); // "_" is no wildcard
    for (let i = 0; i < 7; i++) await store.claim(`old-${i}`, expired(60_000));
    await other.claim("old", expired(60_000));
    await store.claim("fresh", claimRequest(0, { now: Date.now() }));
    await store.claim("rewritten", expired(60_000));
    // Plain Keyv rewrites the row with a later expiry; expires_at still says "expired".
    await store.keyv.set("rewritten", { by: "keyv" }, 3_600_000);
    expect(await store.purge({ before: Date.now() })).toBe(7);
    expect(await store.get("fresh")).toBeDefined();
    expect(await store.keyv.get("rewritten")).toEqual({ by: "keyv" });
    expect(await other.get("old")).toBeDefined();
    const listed = [];
    for await (const r of store.list()) listed.push(r.key);
    expect(listed).toEqual(["fresh"]);
    await store.close();
    await other.close();
  });

  it("MysqlAuditLog: writes in order, reads by time range in pages, and creates its table once", async () => {
    const t = table("audit");
    const log = new MysqlAuditLog({ uri, table: t, pageSize: 3, batchSize: 4 });
    const entry = (ts: number) => ({ ts, action_type: "book", outcome: "executed" as const, session_id: "s", fingerprint: "f".repeat(32), attempt: 1, duration_ms: 1.5, idempotency_key: `k${ts}` });
    for (let i = 0; i < 10; i++) log.write(entry(1000 + Math.floor(i / 2)));
    await log.flush();
    const all = [];
    for await (const e of log.query({ since: 1001, until: 1004 })) all.push(e);
    expect(all.map((e) => e.ts)).toEqual([1001, 1001, 1002, 1002, 1003, 1003]);
    expect(all[0]).toEqual(entry(1001));
    await log.close();
  });

  it("MysqlAuditLog: scope, key_sent, turn and the live detection fields round-trip; absent ones stay absent", async () => {
    const t = table("audit_fields");
    const log = new MysqlAuditLog({ uri, table: t });
    const base = { action_type: "book", outcome: "executed" as const, session_id: "s", fingerprint: "f".repeat(32), attempt: 1, duration_ms: 2 };
    const full = { ...base, ts: 1, idempotency_key: "k1", scope: 'turn:["t","h1"]', key_sent: false, turn: "1:ab12", repeat_of: "k0", repeat_decision: "refuse" as const };
    const bare = { ...base, ts: 2 };
    log.write(full);
    log.write(bare);
    await log.flush();
    const all = [];
    for await (const e of log.query()) all.push(e);
    expect(all).toEqual([full, bare]);
    await log.close();
  });
});

describe.skipIf(!inject("mysqlUrl"))("createStore() / createAuditLog() with mysql:// URIs", () => {
  it("createStore(): core's mysql://…?table=&namespace= URI opens a MysqlStore with those options", async () => {
    const { createAuditLog, createStore } = await import("@agent-idempotency/core");
    const t = uniqueTable("uri");
    const store = await createStore(`${uri}?table=${t}&namespace=uri-ns`);
    expect(JSON.parse(JSON.stringify(store))).toEqual({ store: "store-mysql", table: t, namespace: "uri-ns" });
    expect((await store.claim("k", claimRequest())).outcome).toBe("claimed");
    await store.close();
    const log = await createAuditLog(`${uri.replace(/^mysql:/, "mariadb:")}?audit_table=${t}_audit`);
    expect(log).toBeInstanceOf(MysqlAuditLog);
    await log.close?.();
    await dropTables(uri, [t, `${t}_audit`]);
  });
});
