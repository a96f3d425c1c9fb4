/**
 * The cross-process acceptance on MySQL / MariaDB: forked Node processes (importing the built
 * `dist/`) race on one table. Build first: `npx tsc -b packages/store-mysql`.
 */
import { describeCrossProcessRace } from "@agent-idempotency/core/testing";
import { afterAll, describe, inject, it } from "vitest";
import { uniqueTable } from "../../../test/support/unique-tables.js";
import { dropTables } from "./helpers.js";

const uri = inject("mysqlUrl");
const table = uniqueTable("race");
const dist = new URL("../dist/index.js", import.meta.url).href;

if (uri) {
  afterAll(() => dropTables(uri, [table]));
  // Four processes with five connections each: 20 of the server's 151 default connections.
  describeCrossProcessRace("MysqlStore", (mode) => ({ module: dist, export: "MysqlStore", options: { uri, table, namespace: `race_${mode}`, poolSize: 5 } }), { test: { describe, it } });
} else describe.skip("MysqlStore: cross-process race (no MySQL/MariaDB)", () => it("skipped", () => undefined));
