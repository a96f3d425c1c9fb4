/**
 * Runs the demo as `pnpm run demo` does (plain Node on the built dist/) and checks its numbers:
 * the stock ToolNode double-books and double-charges, IdempotentToolNode books and charges once.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createStore } from "@agent-idempotency/core";
import { afterAll, describe, expect, inject, it } from "vitest";

const run = promisify(execFile);
const demo = fileURLToPath(new URL("../demo.mjs", import.meta.url));
const dist = (pkg: string) => fileURLToPath(new URL(`../../../packages/${pkg}/dist/index.js`, import.meta.url));
const built = existsSync(dist("core")) && existsSync(dist("langgraph"));
const dir = mkdtempSync(join(tmpdir(), "aidem-demo-"));

type Side = { toolCalls: number; bookings: number; charges: number; replays: number; keys: string[] };

async function demoJson(...args: string[]): Promise<{ store: string; stock: Side; idempotent: Side }> {
  const { stdout } = await run(process.execPath, [demo, "--json", ...args]);
  return JSON.parse(stdout);
}

describe.skipIf(!built)("calendar-booking demo", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("demo: the stock ToolNode double-books and double-charges; IdempotentToolNode does each once", async () => {
    const { stock, idempotent } = await demoJson();
    expect(stock).toMatchObject({ toolCalls: 4, bookings: 2, charges: 2, replays: 0, keys: [] });
    expect(idempotent).toMatchObject({ toolCalls: 4, bookings: 1, charges: 1, replays: 1 });
    expect(idempotent.keys).toHaveLength(2);
    expect(idempotent.keys.every((k) => /^[0-9a-f]{32}$/.test(k))).toBe(true);
  });

  it("demo: prints the side-by-side table and exits 0", async () => {
    const { stdout } = await run(process.execPath, [demo]);
    const row = (label: string) => stdout.split("\n").find((l) => l.trim().startsWith(label))?.trim().split(/\s{2,}/).slice(1);
    expect(row("bookings made")).toEqual(["2", "1"]);
    expect(row("charges made")).toEqual(["2", "1"]);
    expect(row("replays")).toEqual(["0", "1"]);
    expect(row("keys used")).toEqual(["0", "2"]);
    expect(stdout.split("\n").length).toBeLessThanOrEqual(15);
  });

  it.skipIf(!existsSync(dist("store-sqlite")))("demo --store sqlite:PATH: same numbers on a persistent store, run after run", async () => {
    const store = `sqlite:${join(dir, "idempotency.db")}`;
    for (let i = 0; i < 2; i++) {
      const { idempotent } = await demoJson("--store", store);
      expect(idempotent).toMatchObject({ bookings: 1, charges: 1, replays: 1 });
    }
  });

  const pgUrl = inject("pgUrl");
  const mysqlUrl = inject("mysqlUrl");
  const redisUrl = inject("redisUrl");

  /** The tables of `names` that exist, on the server of `uri`. */
  async function tables(uri: string, names: string[]): Promise<string[]> {
    if (uri.startsWith("mysql")) {
      const mysql = await import("mysql2/promise");
      const conn = await mysql.createConnection({ uri });
      const [rows] = await conn.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (?)", [names]);
      await conn.end();
      return (rows as { name: string }[]).map((r) => r.name);
    }
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: uri });
    await client.connect();
    const { rows } = await client.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_name = ANY($1)", [names]);
    await client.end();
    return rows.map((r) => r.name);
  }

  /** How many records the store of `uri` lists. */
  async function records(uri: string): Promise<number> {
    const store = await createStore(uri, { loader: (specifier) => import(specifier) });
    let n = 0;
    for await (const _ of store.list!({ limit: 100 })) n++;
    await store.close();
    return n;
  }

  it.each([
    ["postgres", pgUrl],
    ["mysql", mysqlUrl],
  ])("demo --store %s://…: a table of the run's own, dropped afterwards; same numbers", async (_name, url) => {
    if (!url) return;
    const { store, idempotent } = await demoJson("--store", url);
    expect(idempotent).toMatchObject({ bookings: 1, charges: 1, replays: 1 });
    const table = new URL(store).searchParams.get("table")!;
    expect(table).toMatch(/^calendar_demo_[0-9a-f]{12}$/);
    expect(await tables(url, [table, `${table}_migrations`])).toEqual([]);
  });

  it("demo --store redis://…: a key prefix of the run's own, emptied afterwards; a prefix named in the URI is kept", async () => {
    if (!redisUrl) return;
    const { store, idempotent } = await demoJson("--store", redisUrl);
    expect(idempotent).toMatchObject({ bookings: 1, charges: 1, replays: 1 });
    const prefix = new URL(store).searchParams.get("prefix")!;
    expect(prefix).toMatch(/^calendar-demo-[0-9a-f]{12}$/);
    expect(await records(`${redisUrl}?prefix=${prefix}`)).toBe(0);
    // The clean-up is not vacuous: with a prefix of its own choosing, the run's records are there.
    const kept = `${redisUrl}?prefix=calendar-kept-${Date.now()}`;
    await demoJson("--store", kept);
    expect(await records(kept)).toBe(2);
    const store2 = await createStore(kept, { loader: (specifier) => import(specifier) });
    await (store2 as unknown as { keyv: { clear(): Promise<void> } }).keyv.clear();
    await store2.close();
  });

  it("demo: an unknown store scheme fails with a message and a non-zero exit", async () => {
    const error = await run(process.execPath, [demo, "--store", "ftp://nowhere"]).catch((e: { code: number; stderr: string }) => e);
    expect((error as { code: number }).code).not.toBe(0);
    expect((error as { stderr: string }).stderr).toMatch(/"ftp:" is not a store URI scheme/);
  });
});

if (!built) console.warn("[examples] calendar-booking demo tests skipped: build first (pnpm run build)");
