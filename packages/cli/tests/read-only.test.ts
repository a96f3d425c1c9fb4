/**
 * The read-only commands (audit, inspect) and purge create nothing: a table name that is misspelt
 * in the URI is exit 3 naming the missing table, and no table (nor its `_migrations` table) exists
 * afterwards. A URI parameter or scheme nobody reads is a usage error (exit 2) with a "did you
 * mean". Real servers, the built binary.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { SqliteStore } from "@agent-idempotency/store-sqlite";
import { runCli, tempDir } from "./helpers/run-cli.js";

const pgUrl = inject("pgUrl");
const mysqlUrl = inject("mysqlUrl");
const typo = (what: string) => `ai_typo_${what}_${randomBytes(4).toString("hex")}`;
const KEY = "0123456789abcdef0123456789abcdef";

async function pgTables(names: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_name = ANY($1)", [names]);
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

async function mysqlTables(names: string[]): Promise<string[]> {
  const mysql = await import("mysql2/promise");
  const conn = await mysql.createConnection({ uri: mysqlUrl });
  try {
    const [rows] = await conn.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (?)", [names]);
    return (rows as { name: string }[]).map((r) => r.name);
  } finally {
    await conn.end();
  }
}

describe.skipIf(!pgUrl)("read-only commands on PostgreSQL create nothing", () => {
  it("audit --store postgres://…?audit_table=<typo>: exit 3 naming the missing table; no table created", async () => {
    const t = typo("audit");
    const r = await runCli(["audit", "--store", `${pgUrl}?audit_table=${t}`, "--since", "all"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`the audit log table public.${t} does not exist`);
    expect(await pgTables([t, `${t}_migrations`])).toEqual([]);
  });

  it("inspect KEY --store postgres://…?table=<typo>: exit 3 naming the missing table; no table created", async () => {
    const t = typo("store");
    const r = await runCli(["inspect", KEY, "--store", `${pgUrl}?table=${t}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`the store table public.${t} does not exist`);
    expect(await pgTables([t, `${t}_migrations`, "agent_idempotency_audit_never"])).toEqual([]);
  });

  it("purge --store postgres://…?tabel=…: exit 2 with the parameter it meant, nothing purged or created", async () => {
    const t = typo("purge");
    const r = await runCli(["purge", "--store", `${pgUrl}?tabel=${t}`, "--before", "1d", "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"\?tabel=" in a postgres: URI is not a parameter we know \(did you mean "table"\?\)/);
    expect(await pgTables([t, `${t}_migrations`])).toEqual([]);
  });

  it("audit --store postgress://…: exit 2 with the scheme it meant", async () => {
    const r = await runCli(["audit", "--store", pgUrl!.replace(/^postgres(ql)?:/, "postgress:"), "--since", "all"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(did you mean "postgres:"?)');
  });
});

describe.skipIf(!mysqlUrl)("read-only commands on MySQL / MariaDB create nothing", () => {
  it("audit and inspect with a misspelt table: exit 3 naming it; no table created", async () => {
    const a = typo("audit");
    const s = typo("store");
    const audit = await runCli(["audit", "--store", `${mysqlUrl}?audit_table=${a}`, "--since", "all"]);
    expect(audit.code).toBe(3);
    expect(audit.stderr).toMatch(new RegExp(`the audit log table \\w+\\.${a} does not exist`));
    const inspect = await runCli(["inspect", KEY, "--store", `${mysqlUrl}?table=${s}`]);
    expect(inspect.code).toBe(3);
    expect(inspect.stderr).toMatch(new RegExp(`the store table \\w+\\.${s} does not exist`));
    expect(await mysqlTables([a, `${a}_migrations`, s, `${s}_migrations`])).toEqual([]);
  });
});

describe("read-only commands on SQLite create nothing", () => {
  const tmp = tempDir("read-only");
  afterAll(() => tmp.remove());

  it("audit and inspect with a misspelt table in an existing file: exit 3 naming it; the file gains no table", async () => {
    const db = tmp.path("idempotency.db");
    const store = new SqliteStore({ path: db });
    await store.setup();
    await store.close();
    const audit = await runCli(["audit", "--store", `sqlite:${db}?audit_table=typo_audit`, "--since", "all"]);
    expect(audit.code).toBe(3);
    expect(audit.stderr).toContain("the audit log table typo_audit does not exist");
    const inspect = await runCli(["inspect", KEY, "--store", `sqlite:${db}?table=typo_store`]);
    expect(inspect.code).toBe(3);
    expect(inspect.stderr).toMatch(/the store table _?typo_store does not exist/);
    // Had the first runs created the tables, these would find them (empty) and exit 0.
    expect((await runCli(["audit", "--store", `sqlite:${db}?audit_table=typo_audit`, "--since", "all"])).code).toBe(3);
    expect((await runCli(["inspect", KEY, "--store", `sqlite:${db}?table=typo_store`])).code).toBe(3);
  });
});

describe("the Redis --audit hint", () => {
  it("audit --store redis://…: the usage error lists mysql:// among the audit logs", async () => {
    const r = await runCli(["audit", "--store", "redis://127.0.0.1:6379", "--since", "all"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/jsonl:PATH, sqlite:PATH, postgres:\/\/… or mysql:\/\/…/);
  });
});
