/**
 * Acceptance: the same planted log, written through the SQLite, Postgres and MySQL audit sinks of the
 * store packages, is reported by the CLI process with exactly the two planted flags. The audit
 * log defaults to the store's URI (the audit table sits beside the records).
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { AuditEntry, AuditReport, AuditSink } from "@agent-idempotency/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { expectPlantedReport, plantedEntries } from "./helpers/planted.js";
import { runCli, tempDir } from "./helpers/run-cli.js";

type SinkCtor = new (options: Record<string, unknown>) => AuditSink;
const sqlitePkg = (await import("@agent-idempotency/store-sqlite")) as Record<string, unknown>;
const postgresPkg = (await import("@agent-idempotency/store-postgres")) as Record<string, unknown>;
const mysqlPkg = (await import("@agent-idempotency/store-mysql")) as Record<string, unknown>;
const SqliteAuditLog = sqlitePkg.SqliteAuditLog as SinkCtor | undefined;
const PostgresAuditLog = postgresPkg.PostgresAuditLog as SinkCtor | undefined;
const MysqlAuditLog = mysqlPkg.MysqlAuditLog as SinkCtor | undefined;
const pgUrl = inject("pgUrl");
const mysqlUrl = inject("mysqlUrl");

async function fill(sink: AuditSink, entries: readonly AuditEntry[]): Promise<void> {
  for (const e of entries) await sink.write(e);
  await sink.close?.();
}

const entries = plantedEntries(4000);

describe.skipIf(!SqliteAuditLog)("audit on the SQLite audit table", () => {
  const tmp = tempDir("audit-sqlite");
  const db = tmp.path("idempotency.db");
  beforeAll(async () => {
    await fill(new SqliteAuditLog!({ path: db }), entries);
  });
  afterAll(() => tmp.remove());

  it("audit --store sqlite:PATH: exactly the two planted flags, counts of the table, exit 1", async () => {
    const r = await runCli(["audit", "--store", `sqlite:${db}`, "--since", "all", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expectPlantedReport(JSON.parse(r.stdout) as AuditReport, entries);
  });

  it("audit --since/--until: the range reaches the table (only its entries are counted)", async () => {
    const from = entries[1000]!.ts;
    const to = entries[2000]!.ts;
    const r = await runCli(["audit", "--store", `sqlite:${db}`, "--since", new Date(from).toISOString(), "--until", new Date(to).toISOString(), "--json"]);
    const report = JSON.parse(r.stdout) as AuditReport;
    expect(report.entries).toBe(entries.filter((e) => e.ts >= from && e.ts < to).length);
  });

  it("audit: exit 3 when the sqlite file is not a database", async () => {
    const junk = tmp.path("junk.db");
    writeFileSync(junk, "this is not a database, it is a text file that is long enough to be read as one\n".repeat(20));
    const r = await runCli(["audit", "--store", `sqlite:${junk}`, "--since", "all"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/store-sqlite.*failed/);
  });
});

describe.skipIf(!PostgresAuditLog || !pgUrl)("audit on the Postgres audit table", () => {
  const schema = `ai_cli_${randomBytes(4).toString("hex")}`;
  const uri = `${pgUrl}${pgUrl?.includes("?") ? "&" : "?"}schema=${schema}`;
  beforeAll(async () => {
    await fill(new PostgresAuditLog!({ uri: pgUrl, schema }), entries);
  });
  afterAll(async () => {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it("audit --store postgres://…: exactly the two planted flags, counts of the table, exit 1", async () => {
    const r = await runCli(["audit", "--store", uri, "--since", "all", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expectPlantedReport(JSON.parse(r.stdout) as AuditReport, entries);
  });

  it("audit: the password in the URI never reaches the output", async () => {
    const u = new URL(uri);
    u.password = "s3cret-pw";
    const r = await runCli(["audit", "--store", u.toString(), "--since", "all", "--json"]);
    expect(r.stdout + r.stderr).not.toContain("s3cret-pw");
  });
});

describe.skipIf(!MysqlAuditLog || !mysqlUrl)("audit on the MySQL / MariaDB audit table", () => {
  const table = `ai_cli_${randomBytes(4).toString("hex")}`;
  beforeAll(async () => {
    await fill(new MysqlAuditLog!({ uri: mysqlUrl, table }), entries);
  });
  afterAll(async () => {
    const mysql = await import("mysql2/promise");
    const conn = await mysql.createConnection({ uri: mysqlUrl });
    await conn.query(`DROP TABLE IF EXISTS \`${table}\`, \`${table}_migrations\``);
    await conn.end();
  });

  it("audit --store mysql://…?audit_table=: exactly the two planted flags, counts of the table, exit 1", async () => {
    const r = await runCli(["audit", "--store", `${mysqlUrl}?audit_table=${table}`, "--since", "all", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expectPlantedReport(JSON.parse(r.stdout) as AuditReport, entries);
  });
});

describe.skipIf(!PostgresAuditLog)("audit when the database is down", () => {
  it("audit: exit 3 (store failed), not 1 or 0, when Postgres does not answer", async () => {
    const r = await runCli(["audit", "--store", "postgres://postgres@127.0.0.1:1/test", "--since", "all"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/store-postgres/);
  });
});
