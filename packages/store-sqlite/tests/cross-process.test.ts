/**
 * Issue 3's cross-process acceptance on SQLite files (one per case). The forked workers import the
 * built dist/ (build first: `npx tsc -b packages/store-sqlite`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeCrossProcessRace } from "@agent-idempotency/core/testing";
import { afterAll, describe, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "idem-sqlite-race-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dist = new URL("../dist/index.js", import.meta.url).href;

describeCrossProcessRace("SqliteStore", (mode) => ({ module: dist, export: "SqliteStore", options: { path: join(dir, `${mode}.db`) } }), { test: { describe, it } });
