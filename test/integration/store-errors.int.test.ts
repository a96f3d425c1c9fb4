/**
 * Store errors say why, on the real drivers: `ready()` sets the store up at start-up and fails
 * with a message that ends with the driver's own words and code, and a guarded call against the
 * same broken store fails the same way without running the tool.
 */
import { randomUUID } from "node:crypto";
import { createIdempotency, isIdempotencyError } from "@agent-idempotency/core";
import type { IdempotencyStore } from "@agent-idempotency/core";
import { MysqlStore } from "@agent-idempotency/store-mysql";
import { PostgresStore } from "@agent-idempotency/store-postgres";
import { RedisStore } from "@agent-idempotency/store-redis";
import { SqliteStore } from "@agent-idempotency/store-sqlite";
import { describe, expect, inject, it } from "vitest";

const pgUrl = inject("pgUrl");
const mysqlUrl = inject("mysqlUrl");
const missingDb = `nosuchdb_${randomUUID().slice(0, 8)}`;

const cases: { name: string; enabled: boolean; open: () => IdempotencyStore; reason: RegExp }[] = [
  {
    name: "postgres, a database that does not exist",
    enabled: !!pgUrl,
    open: () => {
      const u = new URL(pgUrl!);
      u.pathname = `/${missingDb}`;
      return new PostgresStore({ uri: u.toString(), poolSize: 1 });
    },
    reason: new RegExp(`database "${missingDb}" does not exist \\(3D000\\)$`),
  },
  {
    name: "postgres, nothing listening",
    enabled: true,
    open: () => new PostgresStore({ uri: "postgres://postgres@127.0.0.1:1/test", poolSize: 1 }),
    reason: /ECONNREFUSED 127\.0\.0\.1:1 \(ECONNREFUSED\)$/,
  },
  {
    name: "redis, nothing listening",
    enabled: true,
    open: () => new RedisStore({ url: "redis://127.0.0.1:1", connectTimeoutMs: 1000 }),
    reason: /ECONNREFUSED 127\.0\.0\.1:1 \(ECONNREFUSED\)$/,
  },
  {
    name: "mysql, a database that does not exist",
    enabled: !!mysqlUrl,
    open: () => {
      const u = new URL(mysqlUrl!);
      u.pathname = `/${missingDb}`;
      return new MysqlStore({ uri: u.toString(), poolSize: 1 });
    },
    reason: new RegExp(`Unknown database '${missingDb}' \\(ER_BAD_DB_ERROR\\)$`),
  },
  {
    name: "mysql, nothing listening",
    enabled: true,
    open: () => new MysqlStore({ uri: "mysql://root@127.0.0.1:1/test", poolSize: 1 }),
    reason: /ECONNREFUSED 127\.0\.0\.1:1 \(ECONNREFUSED\)$/,
  },
  {
    name: "sqlite, a directory that does not exist",
    enabled: true,
    open: () => new SqliteStore({ path: `/nonexistent-${randomUUID()}/idempotency.db` }),
    reason: /SQLITE_CANTOPEN: unable to open database file: "\/nonexistent-[^"]+\/idempotency\.db" \(does its folder exist, and may this process write there\?\) \(SQLITE_CANTOPEN\)$/,
  },
];

describe("store errors say why", () => {
  for (const c of cases) {
    it.skipIf(!c.enabled)(`ready(): ${c.name}: fails fast with the driver's reason`, async () => {
      const idempotency = createIdempotency({ store: c.open(), tools: { book: {} }, onWarning: () => {} });
      try {
        const error = await idempotency.ready().catch((e: unknown) => e);
        expect(isIdempotencyError(error, "STORE_UNAVAILABLE")).toBe(true);
        expect((error as Error).message).toMatch(/^\[agent-idempotency\] ready\(\): the store is not usable: /);
        expect((error as Error).message).toMatch(c.reason);
        let runs = 0;
        const failed = await idempotency.run({ action: "book", args: { slot: 1 }, sessionId: "s" }, () => ++runs).catch((e: unknown) => e);
        expect(isIdempotencyError(failed, "STORE_FAILED")).toBe(true);
        expect((failed as Error).message).toMatch(/claim failed for key [0-9a-f]{32}: the store could not be set up: /);
        expect((failed as Error).message).toMatch(c.reason);
        expect(runs).toBe(0);
      } finally {
        await idempotency.close().catch(() => undefined);
      }
    });
  }
});
