/**
 * Identifiers that end up in SQL text or in Redis key patterns (tables, schemas, namespaces, key
 * prefixes, client names) are checked when a store is constructed: anything holding a quote, a
 * semicolon, whitespace or another character outside the documented set is refused with
 * IdempotencyStoreError before any I/O, through the constructors and through store URIs.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStore, isIdempotencyError } from "@agent-idempotency/core";
import { MysqlAuditLog, MysqlStore } from "@agent-idempotency/store-mysql";
import { PostgresAuditLog, PostgresStore } from "@agent-idempotency/store-postgres";
import { RedisStore } from "@agent-idempotency/store-redis";
import { SqliteAuditLog, SqliteStore } from "@agent-idempotency/store-sqlite";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "aidem-identifiers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Nothing listens there: a constructor that did I/O would hang or fail differently.
const PG = "postgres://nobody@127.0.0.1:1/none";
const REDIS = "redis://127.0.0.1:1";
const MYSQL = "mysql://nobody@127.0.0.1:1/none";
const dbPath = join(dir, "never-created.db");

/** Every option that names something, and how to construct with it. */
const targets: { name: string; make: (v: string) => unknown }[] = [
  { name: "SqliteStore table", make: (v) => new SqliteStore({ path: dbPath, table: v }) },
  { name: "SqliteStore namespace", make: (v) => new SqliteStore({ path: dbPath, namespace: v }) },
  { name: "SqliteAuditLog table", make: (v) => new SqliteAuditLog({ path: dbPath, table: v }) },
  { name: "PostgresStore table", make: (v) => new PostgresStore({ uri: PG, table: v }) },
  { name: "PostgresStore schema", make: (v) => new PostgresStore({ uri: PG, schema: v }) },
  { name: "PostgresStore namespace", make: (v) => new PostgresStore({ uri: PG, namespace: v }) },
  { name: "PostgresAuditLog table", make: (v) => new PostgresAuditLog({ uri: PG, table: v }) },
  { name: "PostgresAuditLog schema", make: (v) => new PostgresAuditLog({ uri: PG, schema: v }) },
  { name: "MysqlStore table", make: (v) => new MysqlStore({ uri: MYSQL, table: v }) },
  { name: "MysqlStore namespace", make: (v) => new MysqlStore({ uri: MYSQL, namespace: v }) },
  { name: "MysqlAuditLog table", make: (v) => new MysqlAuditLog({ uri: MYSQL, table: v }) },
  { name: "RedisStore prefix", make: (v) => new RedisStore({ url: REDIS, prefix: v }) },
  { name: "RedisStore namespace", make: (v) => new RedisStore({ url: REDIS, namespace: v }) },
  { name: "RedisStore clientName", make: (v) => new RedisStore({ url: REDIS, clientName: v }) },
];

function refusal(make: () => unknown): unknown {
  try {
    make();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A string with at least one character outside every documented identifier set (`--` alone is fine in a namespace: it is a bound value). */
const dangerous = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom("'", '"', ";", " ", "\t", "\n", "`", "\\", "/*", "\u0000", "*", "?", "[", "]", "$1", "'; DROP TABLE keyv; --"),
    fc.string({ maxLength: 8 }),
  )
  .map(([a, b, c]) => `${a}${b}${c}`);

describe("store options: identifiers", () => {
  it.each(targets)("constructor(): the $name option with a quote, a semicolon or whitespace is refused before any I/O", ({ make }) => {
    fc.assert(
      fc.property(dangerous, (v) => {
        const e = refusal(() => make(v));
        expect(isIdempotencyError(e, "STORE_FAILED")).toBe(true);
        expect((e as Error).name).toBe("IdempotencyStoreError");
      }),
      { numRuns: 300 },
    );
    expect(existsSync(dbPath)).toBe(false);
  });

  it.each(targets)("constructor(): the $name option accepts the documented plain spelling (the check is not a blanket refusal)", ({ make }) => {
    expect(refusal(() => make("tenant_a1"))).toBeUndefined();
  });

  it.each([
    ["a table with a quote", `${PG}?table=a%22b`],
    ["a schema with a semicolon", `${PG}?schema=public%3Bdrop`],
    ["a namespace with a space", `${PG}?namespace=a%20b`],
    ["a redis prefix with a glob", `${REDIS}?prefix=a*`],
    ["a mysql table with a backtick", `${MYSQL}?table=a%60b`],
    ["a mysql namespace with a quote", `${MYSQL}?namespace=a'b`],
    ["a sqlite table with a quote", `sqlite:${dbPath}?table=a'b`],
    ["a sqlite namespace with a semicolon", `sqlite:${dbPath}?namespace=a;b`],
  ])("createStore(): %s in the URI is refused", async (_name, uri) => {
    const e = await createStore(uri).then(
      async (s) => (await s.close(), undefined),
      (error: unknown) => error,
    );
    expect(isIdempotencyError(e, "STORE_FAILED")).toBe(true);
    expect(existsSync(dbPath)).toBe(false);
  });
});
