/**
 * Issue 3's cross-process acceptance on Postgres: forked Node processes (importing the built
 * `dist/`) race on one table. Build first: `npx tsc -b packages/store-postgres`.
 */
import { crossProcessRace } from "@agent-idempotency/core/testing";
import type { CrossProcessOptions } from "@agent-idempotency/core/testing";
import { afterAll, describe, expect, inject, it } from "vitest";
import { dropTables, uniqueTable } from "./helpers.js";

const uri = inject("pgUrl");
const table = uniqueTable("race");
// Four processes with five connections each: 20 of the server's connections, whatever else runs.
const store = { module: new URL("../dist/index.js", import.meta.url).href, export: "PostgresStore", options: { uri, table, poolSize: 5 } };
const race = (mode: CrossProcessOptions["mode"]) => crossProcessRace({ store, mode, processes: 4, concurrency: 50, keys: 100 });

describe.skipIf(!uri)("PostgresStore across processes", () => {
  afterAll(() => dropTables(uri!, [table]));

  it("claim(): 4 processes x 50 concurrent claims on each of 100 keys give exactly one winner per key", async () => {
    const r = await race("claim");
    expect(r.errors).toEqual([]);
    expect(r.winnersPerKey).toEqual(Array(100).fill(1));
  }, 180_000);

  it("claim(): an expired lease is taken over exactly once per key, and the stale holder cannot complete", async () => {
    const r = await race("takeover");
    expect(r.errors).toEqual([]);
    expect(r.winnersPerKey).toEqual(Array(100).fill(1));
    expect(r.staleCompletes).toBe(0);
  }, 180_000);

  it("engine: 4 processes x 50 run() calls of one logical action run the side effect once", async () => {
    const r = await race("engine");
    expect(r.errors).toEqual([]);
    expect(r.effects).toBe(1);
    expect(r.distinctValues).toBe(1);
  }, 180_000);
});
