/**
 * Issue 3's cross-process acceptance on Postgres: forked Node processes (importing the built
 * `dist/`) race on one table. Build first: `npx tsc -b packages/store-postgres`.
 */
import { describeCrossProcessRace } from "@agent-idempotency/core/testing";
import { afterAll, describe, inject, it } from "vitest";
import { uniqueTable } from "../../../test/support/unique-tables.js";
import { dropTables } from "./helpers.js";

const uri = inject("pgUrl");
const table = uniqueTable("race");
const dist = new URL("../dist/index.js", import.meta.url).href;

if (uri) {
  afterAll(() => dropTables(uri, [table]));
  // Four processes with five connections each: 20 of the server's connections, whatever else runs.
  describeCrossProcessRace("PostgresStore", (mode) => ({ module: dist, export: "PostgresStore", options: { uri, table, namespace: `race_${mode}`, poolSize: 5 } }), { test: { describe, it } });
} else describe.skip("PostgresStore: cross-process race (no PostgreSQL)", () => it("skipped", () => undefined));
