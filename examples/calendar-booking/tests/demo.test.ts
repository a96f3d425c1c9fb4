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
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const demo = fileURLToPath(new URL("../demo.mjs", import.meta.url));
const dist = (pkg: string) => fileURLToPath(new URL(`../../../packages/${pkg}/dist/index.js`, import.meta.url));
const built = existsSync(dist("core")) && existsSync(dist("langgraph"));
const dir = mkdtempSync(join(tmpdir(), "aidem-demo-"));

type Side = { toolCalls: number; bookings: number; charges: number; replays: number; keys: string[] };

async function demoJson(...args: string[]): Promise<{ stock: Side; idempotent: Side }> {
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

  it("demo: an unknown store scheme fails with a message and a non-zero exit", async () => {
    const error = await run(process.execPath, [demo, "--store", "ftp://nowhere"]).catch((e: { code: number; stderr: string }) => e);
    expect((error as { code: number }).code).not.toBe(0);
    expect((error as { stderr: string }).stderr).toMatch(/"ftp:" is not a store URI scheme/);
  });
});

if (!built) console.warn("[examples] calendar-booking demo tests skipped: build first (pnpm run build)");
