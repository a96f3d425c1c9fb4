/**
 * The schema, as ordered lists of statements whose index is the version. `setup()` applies the
 * missing ones and records the version per table in `agent_idempotency_schema`.
 *
 * Every statement must be idempotent (`IF NOT EXISTS`; an `ADD COLUMN` that finds its column is
 * taken as done, SQLite having no `IF NOT EXISTS` for it): they run without an explicit
 * transaction, because the store shares its handle with the Keyv adapter (a `BEGIN` there would
 * sweep unrelated statements into the transaction). Two processes running `setup()` at once
 * therefore both succeed: each statement is atomic on its own, and the busy timeout orders them.
 */
import type { SqliteConnection } from "./connection.js";

const SCHEMA_TABLE = "agent_idempotency_schema";

/**
 * Keyv's physical expiry inside the stored value, as an expression an index can hold. The
 * `json_valid` guard matters: the table is Keyv's and may hold another application's values; a
 * bare `json_extract` on one that is not JSON would make that application's writes fail.
 * Queries must repeat this exact text for SQLite to use the index.
 */
export const EXPIRES_EXPR = "(CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END)";

/**
 * The records table (Keyv's own DDL for @keyv/sqlite 4, so an adapter that gets there first
 * creates the same table) and the index that lets purges find expired rows without a scan.
 */
export function storeMigrations(table: string): readonly string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table}(key VARCHAR(255) PRIMARY KEY, value TEXT )`,
    `CREATE INDEX IF NOT EXISTS ${table}_expires_idx ON ${table}${EXPIRES_EXPR}`,
  ];
}

/**
 * The append-only audit table. `id` is the rowid, so the `ts` index is (ts, id) underneath and
 * serves the oldest-first keyset pages of `query()`. Updates are refused by a trigger; deletes
 * stay possible for retention jobs.
 */
export function auditMigrations(table: string): readonly string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table}(
      id INTEGER PRIMARY KEY,
      ts INTEGER NOT NULL,
      action_type TEXT NOT NULL,
      idempotency_key TEXT,
      response_id TEXT,
      outcome TEXT NOT NULL,
      session_id TEXT NOT NULL,
      tool_call_id TEXT,
      fingerprint TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      duration_ms REAL NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS ${table}_ts_idx ON ${table}(ts)`,
    `CREATE TRIGGER IF NOT EXISTS ${table}_append_only BEFORE UPDATE ON ${table}
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`,
    // The entry's scope, whether the key was sent, the turn, and what live detection decided.
    `ALTER TABLE ${table} ADD COLUMN scope TEXT`,
    `ALTER TABLE ${table} ADD COLUMN key_sent INTEGER`,
    `ALTER TABLE ${table} ADD COLUMN turn TEXT`,
    `ALTER TABLE ${table} ADD COLUMN repeat_of TEXT`,
    `ALTER TABLE ${table} ADD COLUMN repeat_decision TEXT`,
  ];
}

/** Applies the migrations of `subject` (e.g. `store:keyv`) that the file does not have yet. */
export async function applyMigrations(conn: SqliteConnection, subject: string, migrations: readonly string[]): Promise<void> {
  await conn.run(`CREATE TABLE IF NOT EXISTS ${SCHEMA_TABLE}(subject TEXT PRIMARY KEY, version INTEGER NOT NULL)`);
  const rows = await conn.all<{ version: number }>(`SELECT version FROM ${SCHEMA_TABLE} WHERE subject = ?`, [subject]);
  for (let version = rows[0]?.version ?? 0; version < migrations.length; version++) {
    try {
      await conn.run(migrations[version]!);
    } catch (error) {
      // SQLite has no ADD COLUMN IF NOT EXISTS: a process that ran this step first made the column.
      if (!(/^ALTER TABLE .* ADD COLUMN /s.test(migrations[version]!) && /duplicate column name/i.test(String((error as Error)?.message)))) throw error;
    }
    // max(): a process that read an older version must not move the record backwards.
    await conn.run(
      `INSERT INTO ${SCHEMA_TABLE}(subject, version) VALUES(?, ?)
       ON CONFLICT(subject) DO UPDATE SET version = max(version, excluded.version)`,
      [subject, version + 1],
    );
  }
}

/**
 * What `setup()` does instead of migrating for a store or log opened with `create: false`
 * (read-only tools such as the CLI): checks that the table exists, creating nothing, and names it
 * (and the file) when it does not, so a misspelt table name never becomes a new, empty table.
 */
export async function requireTable(conn: SqliteConnection, table: string, what: string): Promise<void> {
  const rows = await conn.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [table]);
  if (rows.length > 0) return;
  throw new Error(
    `the ${what} table ${table} does not exist in ${conn.path ?? "the database"} (opened with create: false, so nothing is created); ` +
      "check the table name, or run the engine (setup()) once to create it",
  );
}
