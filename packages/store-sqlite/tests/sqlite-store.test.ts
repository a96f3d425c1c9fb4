import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClaimRequest } from "@agent-idempotency/core";
import { createStore, IdempotencyStoreError, isIdempotencyError } from "@agent-idempotency/core";
import { SqliteStore } from "@agent-idempotency/store-sqlite";
import { KeyvSqlite } from "@keyv/sqlite";
import Keyv from "keyv";
import sqlite3 from "sqlite3";
import { afterAll, describe, expect, it, vi } from "vitest";
import { statements } from "../src/atomic.js";

const dir = mkdtempSync(join(tmpdir(), "idem-sqlite-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(dir, `s${++files}.db`);

const DAY = 86_400_000;
/** A claim whose record is physically expired long ago (lease and retention both over). */
const expiredReq = (): ClaimRequest => ({ scope: "s", action: "a", fingerprint: "f", now: Date.now() - 10 * DAY, leaseMs: 1000, retentionMs: 1000 });
const liveReq = (): ClaimRequest => ({ scope: "s", action: "a", fingerprint: "f", now: Date.now(), leaseMs: 60_000, retentionMs: DAY });

/** Rows under a namespace, counted with SQL on the store's own handle (works for :memory: too). */
async function rowCount(store: SqliteStore, namespace: string): Promise<number> {
  const rows = (await store.keyv.store.query(`SELECT count(*) AS n FROM ${store.table} WHERE key LIKE ?`, `${namespace}:%`)) as { n: number }[];
  return rows[0]!.n;
}

function openRaw(path: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db: sqlite3.Database = new sqlite3.Database(path, (e) => (e ? reject(e) : resolve(db)));
  });
}
const rawAll = <T>(db: sqlite3.Database, sql: string, params: unknown[] = []) =>
  new Promise<T[]>((resolve, reject) => db.all<T>(sql, params, (e, rows) => (e ? reject(e) : resolve(rows))));
const rawClose = (db: sqlite3.Database) => new Promise<void>((resolve) => db.close(() => resolve()));

describe("SqliteStore options", () => {
  it.each([["keyv; DROP TABLE keyv"], ["my table"], ["1abc"], ['"quoted"'], ["a".repeat(64)], [""]])("constructor: rejects table %j", (table) => {
    const make = () => new SqliteStore({ path: ":memory:", table });
    expect(make).toThrow(IdempotencyStoreError);
    expect(make).toThrow(/option "table" must be a plain identifier/);
  });

  it.each([["a b"], ["x'y"], ["ns;"], [""], ["ns/1"]])("constructor: rejects namespace %j", (namespace) => {
    expect(() => new SqliteStore({ path: ":memory:", namespace })).toThrow(/option "namespace" may hold only letters, digits/);
  });

  it("constructor: accepts a prefix with - _ . and numbers given as strings (from a URI); refuses ':'", () => {
    const store = new SqliteStore({ path: ":memory:", namespace: "app-1_idem.v2", busyTimeoutMs: "2500" as unknown as number });
    expect(store.keyvKey("k")).toBe("app-1_idem.v2:k");
    // ":" would let namespaces nest ("t" and "t:x" sharing rows)
    expect(() => new SqliteStore({ path: ":memory:", namespace: "app-1:idem" })).toThrow(/no ":"/);
  });

  it("constructor: requires a path unless a db is given, and rejects a negative busy timeout", () => {
    expect(() => new SqliteStore({} as never)).toThrow(/option "path" must name a database file/);
    expect(() => new SqliteStore({ path: ":memory:", busyTimeoutMs: -1 })).toThrow(/option "busyTimeoutMs"/);
  });

  it("constructor: does no I/O; the file appears on first use", async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    expect(existsSync(path)).toBe(false);
    expect(store.isOpen).toBe(false);
    await store.setup();
    expect(existsSync(path)).toBe(true);
    await store.close();
  });

  it("setup(): opens the file in WAL mode with the busy timeout", async () => {
    const store = new SqliteStore({ path: freshPath(), busyTimeoutMs: 1234 });
    const q = (sql: string) => store.keyv.store.query(sql) as Promise<Record<string, unknown>[]>;
    expect(await q("PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }]);
    expect(await q("PRAGMA busy_timeout")).toEqual([{ timeout: 1234 }]);
    await store.close();
  });

  it("createStore(): sqlite:PATH?namespace=&table= opens a SqliteStore with those options", async () => {
    const path = freshPath();
    const store = await createStore(`sqlite:${path}?namespace=uri-ns&table=records`);
    expect(store).toBeInstanceOf(SqliteStore);
    expect((store as SqliteStore).toJSON()).toEqual({ store: "SqliteStore", path, table: "records", namespace: "uri-ns" });
    expect((await store.claim("k", liveReq())).outcome).toBe("claimed");
    await store.close();
  });

  it("table: works on the table a plain KeyvSqlite with the same option uses", async () => {
    const path = freshPath();
    const store = new SqliteStore({ path, table: "my_records", namespace: "n1" });
    expect(store.table).toBe("_my_records"); // @keyv/sqlite 4 prefixes names that are not all letters
    const c = await store.claim("k", liveReq());
    if (c.outcome !== "claimed") throw new Error("expected a claim");
    await store.complete(c.claim, { value: { ok: 1 }, now: Date.now(), ttlMs: DAY });
    const keyv = new Keyv(new KeyvSqlite({ uri: `sqlite://${path}`, table: "my_records" }), { namespace: "n1" });
    expect(await keyv.get("k")).toMatchObject({ status: "completed", value: { ok: 1 } });
    await keyv.disconnect();
    await store.close();
  });
});

describe("SqliteStore setup() and close()", () => {
  it("setup(): two instances set up one fresh file at once, and both work", async () => {
    const path = freshPath();
    const a = new SqliteStore({ path });
    const b = new SqliteStore({ path });
    await Promise.all([a.setup(), b.setup(), a.setup()]);
    expect((await a.claim("k", liveReq())).outcome).toBe("claimed");
    expect((await b.claim("k", liveReq())).outcome).toBe("existing");
    await Promise.all([a.close(), b.close()]);
    const db = await openRaw(path);
    expect(await rawAll(db, "SELECT subject, version FROM agent_idempotency_schema")).toEqual([{ subject: "store:keyv", version: 2 }]);
    await rawClose(db);
  });

  it("close(): is idempotent, and later calls fail with IdempotencyStoreError", async () => {
    const store = new SqliteStore({ path: freshPath() });
    await store.setup();
    await store.close();
    await store.close();
    await expect(store.claim("k", liveReq())).rejects.toBeInstanceOf(IdempotencyStoreError);
    await expect(store.keyv.get("k")).rejects.toThrow(/closed/);
  });

  it("close(): leaves an injected database open, and never changed its journal mode", async () => {
    const path = freshPath();
    const db = await openRaw(path);
    const store = new SqliteStore({ db });
    expect((await store.claim("k", liveReq())).outcome).toBe("claimed");
    await store.close();
    expect(await rawAll(db, "SELECT count(*) AS n FROM keyv")).toEqual([{ n: 1 }]);
    expect(await rawAll(db, "PRAGMA journal_mode")).toEqual([{ journal_mode: "delete" }]);
    await rawClose(db);
  });

  it("toJSON(): shows the configuration, not the handle", () => {
    const store = new SqliteStore({ path: ":memory:", namespace: "n" });
    expect(JSON.parse(JSON.stringify(store))).toEqual({ store: "SqliteStore", path: ":memory:", table: "keyv", namespace: "n" });
  });
});

describe("SqliteStore errors", () => {
  it("claim(): a file that cannot be opened fails with IdempotencyStoreError and the driver's cause", async () => {
    const store = new SqliteStore({ path: join(dir, "missing-dir", "x.db") });
    const error = await store.claim("k", liveReq()).catch((e: unknown) => e);
    expect(isIdempotencyError(error, "STORE_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/^\[agent-idempotency\] \[store-sqlite\] /);
    expect(((error as Error).cause as { code?: string }).code).toBe("SQLITE_CANTOPEN");
    // sqlite3 alone says "unable to open database file": which file, and why it may be, is ours.
    expect((error as Error).message).toContain(`SQLITE_CANTOPEN: unable to open database file: ${JSON.stringify(join(dir, "missing-dir", "x.db"))} (does its folder exist`);
    await store.close();
  });

  it("setup(): create: false opens an existing file and table only, names the missing one, and creates nothing", async () => {
    const missing = freshPath();
    const none = new SqliteStore({ path: missing, create: false });
    await expect(none.setup()).rejects.toThrow(/SQLITE_CANTOPEN: unable to open database file: .*\(no such file, or this process may not open it\)/);
    await none.close();
    expect(existsSync(missing)).toBe(false);

    const path = freshPath();
    const made = new SqliteStore({ path });
    await made.setup();
    await made.close();
    const typo = new SqliteStore({ path, table: "recrds", create: false });
    await expect(typo.get("k")).rejects.toThrow(/the store table _?recrds does not exist in .* \(opened with create: false, so nothing is created\)/);
    await typo.close();
    const existing = new SqliteStore({ path, create: false });
    expect(await existing.get("k")).toBeUndefined();
    await existing.close();
    const db = await openRaw(path);
    expect((await rawAll<{ name: string }>(db, "SELECT name FROM sqlite_master WHERE name LIKE '%recrds%'")).length).toBe(0);
    await rawClose(db);
  });

  it("claim()/get()/keyv.get(): a driver failure mid-life is thrown, not swallowed", async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    await store.setup();
    const db = await openRaw(path);
    await rawAll(db, "DROP TABLE keyv"); // another process breaks the file under the store
    await rawClose(db);
    const error = await store.claim("k", liveReq()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    // The message ends with the driver's own words and code: the reason shows where only messages are logged.
    expect((error as Error).message).toBe("[agent-idempotency] [store-sqlite] claim failed for key k: SQLITE_ERROR: no such table: keyv (SQLITE_ERROR)");
    expect(((error as Error).cause as { code?: string; message?: string }).message).toMatch(/SQLITE_ERROR: no such table: keyv/);
    await expect(store.get("k")).rejects.toBeInstanceOf(IdempotencyStoreError);
    await expect(store.keyv.get("k")).rejects.toThrow(/no such table/);
    await store.close();
  });
});

describe("SqliteStore expired records", () => {
  it("purge(): deletes this namespace's expired records in batches, and nothing else", async () => {
    const path = freshPath();
    const store = new SqliteStore({ path, namespace: "mine", sweepEvery: 0 });
    const other = new SqliteStore({ path, namespace: "other", sweepEvery: 0 });
    for (let i = 0; i < 1201; i++) await store.claim(`old-${i}`, expiredReq());
    for (let i = 0; i < 3; i++) await store.claim(`new-${i}`, liveReq());
    await other.claim("old", expiredReq());
    // Another application's value that is not JSON: the expiry index must not reject it.
    await store.keyv.store.query(`INSERT INTO keyv(key, value) VALUES('foreign:x', 'not json')`);
    expect(await store.purge({ before: Date.now() })).toBe(1201);
    expect(await rowCount(store, "mine")).toBe(3);
    expect(await rowCount(store, "other")).toBe(1);
    expect(await rowCount(store, "foreign")).toBe(1);
    expect(await store.purge({ before: Date.now() })).toBe(0);
    await Promise.all([store.close(), other.close()]);
  });

  it("purge(): finds expired rows through the expiry index, not a scan", async () => {
    const store = new SqliteStore({ path: ":memory:" });
    await store.setup();
    for (let i = 0; i < 50; i++) await store.claim(`k-${i}`, liveReq());
    const plan = (await store.keyv.store.query(`EXPLAIN QUERY PLAN ${statements("keyv").purge}`, 1, "a:", "a;")) as { detail: string }[];
    const text = plan.map((p) => p.detail).join("\n");
    expect(text).toContain("USING INDEX keyv_expires_idx");
    expect(text).not.toMatch(/SCAN keyv|sqlite_autoindex_keyv/);
    await store.close();
  });

  it("claim(): every sweepEvery writes, expired records are swept in the background", async () => {
    const store = new SqliteStore({ path: ":memory:", namespace: "sw", sweepEvery: 10 });
    for (let i = 0; i < 9; i++) await store.claim(`old-${i}`, expiredReq());
    expect(await rowCount(store, "sw")).toBe(9);
    await store.claim("live", liveReq()); // the 10th write
    await vi.waitFor(async () => expect(await rowCount(store, "sw")).toBe(1));
    expect((await store.get("live"))?.status).toBe("in_progress");
    await store.close();
  });

  it("list(): pages through this namespace's records only, up to the limit", async () => {
    const path = freshPath();
    const store = new SqliteStore({ path, namespace: "ls", sweepEvery: 0 });
    const neighbour = new SqliteStore({ path, namespace: "ls2", sweepEvery: 0 });
    for (let i = 0; i < 1100; i++) await store.claim(`k-${i}`, liveReq());
    await neighbour.claim("k-x", liveReq());
    const keys: string[] = [];
    for await (const r of store.list()) keys.push(r.key);
    expect(keys.length).toBe(1100);
    expect(new Set(keys).size).toBe(1100);
    let n = 0;
    for await (const _ of store.list({ limit: 501 })) n++;
    expect(n).toBe(501);
    await Promise.all([store.close(), neighbour.close()]);
  });
});
