/**
 * Issue 3's acceptance race on one SQLite file: 4 forked processes x 50 concurrent callers. The
 * workers import the built dist/ (build first: `npx tsc -b packages/store-sqlite`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crossProcessRace } from "@agent-idempotency/core/testing";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "idem-sqlite-race-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = (file: string) => ({ module: new URL("../dist/index.js", import.meta.url).href, export: "SqliteStore", options: { path: join(dir, file) } });

describe("SqliteStore: cross-process race", () => {
  it("claim(): 4 processes x 50 claims on each of 100 keys: exactly one winner per key", async () => {
    const r = await crossProcessRace({ store: store("claim.db"), mode: "claim", processes: 4, concurrency: 50, keys: 100 });
    expect(r.errors).toEqual([]);
    expect(r.winnersPerKey).toEqual(Array(100).fill(1));
  }, 180_000);

  it("claim(): an expired lease on each of 100 keys is taken over exactly once; the stale holder's complete returns false", async () => {
    const r = await crossProcessRace({ store: store("takeover.db"), mode: "takeover", processes: 4, concurrency: 50, keys: 100 });
    expect(r.errors).toEqual([]);
    expect(r.winnersPerKey).toEqual(Array(100).fill(1));
    expect(r.staleCompletes).toBe(0);
  }, 180_000);

  it("run(): 4 processes x 50 calls of one logical action: the side effect runs once, all get its value", async () => {
    const r = await crossProcessRace({ store: store("engine.db"), mode: "engine", processes: 4, concurrency: 50 });
    expect(r.errors).toEqual([]);
    expect(r.effects).toBe(1);
    expect(r.distinctValues).toBe(1);
  }, 180_000);
});
