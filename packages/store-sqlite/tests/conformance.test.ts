import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeStoreConformance } from "@agent-idempotency/core/testing";
import { SqliteStore } from "@agent-idempotency/store-sqlite";
import { KeyvSqlite } from "@keyv/sqlite";
import Keyv from "keyv";
import { afterAll, describe, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "idem-sqlite-conformance-"));
const path = join(dir, "conformance.db");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// `:memory:` is private to one handle, so Keyv reads through the store's own adapter there.
describeStoreConformance("SqliteStore(:memory:)", { test: { describe, it }, createStore: ({ namespace }) => new SqliteStore({ path: ":memory:", namespace }),
  openKeyv: async (store, { namespace }) => new Keyv((store as SqliteStore).keyv.store, { namespace }) });
// A file: a plain KeyvSqlite, with its own connection, reads what the store wrote.
describeStoreConformance("SqliteStore(file)", { test: { describe, it }, createStore: ({ namespace }) => new SqliteStore({ path, namespace }),
  openKeyv: async (_store, { namespace }) => new Keyv(new KeyvSqlite(`sqlite://${path}`), { namespace }) });
