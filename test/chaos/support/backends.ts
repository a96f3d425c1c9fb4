/**
 * The persistent backends as the chaos runs use them: each with its own database objects
 * (a temp SQLite file, a Postgres database of its own, a random Redis prefix, a MySQL table of its
 * own), a spec that forked
 * workers use to open the store from the built `dist/`, and a store in this process (the
 * sources) that the harness uses to check what the workers left behind.
 *
 * Postgres gets a whole database (not only a table) so that a "server restart" can be simulated
 * on it alone: refuse new sessions and terminate the open ones, without touching anybody else's
 * sessions on the shared server.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IdempotencyStore } from "@agent-idempotency/core";
import { MysqlStore } from "@agent-idempotency/store-mysql";
import { PostgresStore } from "@agent-idempotency/store-postgres";
import { RedisStore } from "@agent-idempotency/store-redis";
import { SqliteStore } from "@agent-idempotency/store-sqlite";
import { deleteRedisPrefix, openRedis, withMysql, withPg } from "./drivers.js";

export type BackendName = "sqlite" | "postgres" | "redis" | "mysql";

/** How a forked worker opens the store: a package name (resolved to dist/), its export, options. */
export interface StoreSpec {
  module: string;
  export: string;
  options: Record<string, unknown>;
}

export interface ChaosBackend {
  name: BackendName;
  /** For workers. `role` names their connections, so faults can target exactly them. */
  spec(role: string): StoreSpec;
  /** A store in this process on the same records. */
  open(role: string, overrides?: Record<string, unknown>): IdempotencyStore;
  /** The connection name of a role (Postgres application_name, Redis CLIENT SETNAME). */
  connectionName(role: string): string;
  /** Drops the database objects. */
  cleanup(): Promise<void>;
  /** Postgres only: the database URL for a role, and the database name. */
  pg?: { base: string; db: string; uri(role: string): string };
  /** Redis only: the server URL and the prefix. */
  redis?: { url: string; prefix: string };
  /** MySQL only: the server URL and the table. */
  mysql?: { url: string; table: string };
  /** SQLite only: the file. */
  sqlite?: { path: string };
}

const runId = () => randomUUID().replaceAll("-", "").slice(0, 10);

export function sqliteBackend(): ChaosBackend {
  const dir = mkdtempSync(join(tmpdir(), "aidem-chaos-sqlite-"));
  const path = join(dir, "chaos.db");
  const options = { path, busyTimeoutMs: 2000 };
  return {
    name: "sqlite",
    spec: () => ({ module: "@agent-idempotency/store-sqlite", export: "SqliteStore", options }),
    open: (_role, overrides) => new SqliteStore({ ...options, ...overrides }),
    connectionName: (role) => role,
    sqlite: { path },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postgresBackend(base: string): Promise<ChaosBackend> {
  const run = runId();
  const db = `aidem_chaos_${run}`;
  await withPg(base, (c) => c.query(`CREATE DATABASE "${db}"`));
  const name = (role: string) => `aidem-chaos-${role}-${run}`;
  const uri = (role: string) => {
    const u = new URL(base);
    u.pathname = `/${db}`;
    u.searchParams.set("application_name", name(role));
    return u.href;
  };
  return {
    name: "postgres",
    spec: (role) => ({ module: "@agent-idempotency/store-postgres", export: "PostgresStore", options: { uri: uri(role), poolSize: 2 } }),
    open: (role, overrides) => new PostgresStore({ uri: uri(role), poolSize: 4, ...overrides }),
    connectionName: name,
    pg: { base, db, uri },
    async cleanup() {
      await withPg(base, async (c) => {
        await c.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`);
        await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      });
    },
  };
}

export function redisBackend(url: string): ChaosBackend {
  const run = runId();
  const prefix = `aidem-chaos-${run}`;
  const name = (role: string) => `aidem-chaos-${role}-${run}`;
  return {
    name: "redis",
    spec: (role) => ({ module: "@agent-idempotency/store-redis", export: "RedisStore", options: { url, prefix, clientName: name(role) } }),
    open: (role, overrides) => new RedisStore({ url, prefix, clientName: name(role), ...overrides }),
    connectionName: name,
    redis: { url, prefix },
    async cleanup() {
      const admin = await openRedis(url);
      try {
        await deleteRedisPrefix(admin, prefix);
      } finally {
        await admin.close();
      }
    },
  };
}

export function mysqlBackend(url: string): ChaosBackend {
  const run = runId();
  const table = `aidem_chaos_${run}`;
  const options = { uri: url, table, poolSize: 2 };
  return {
    name: "mysql",
    spec: () => ({ module: "@agent-idempotency/store-mysql", export: "MysqlStore", options }),
    open: (_role, overrides) => new MysqlStore({ ...options, poolSize: 4, ...overrides }),
    connectionName: (role) => role,
    mysql: { url, table },
    async cleanup() {
      await withMysql(url, (c) => c.query(`DROP TABLE IF EXISTS \`${table}\`, \`${table}_migrations\``));
    },
  };
}
