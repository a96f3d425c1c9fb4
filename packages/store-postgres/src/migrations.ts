/**
 * Schema versions. Each list is ordered and its index is the version number; a table
 * `<table>_migrations` next to the data records which versions ran. Append new steps, never edit
 * or reorder old ones.
 *
 * `migrate()` is safe when several processes start at once: the steps run in one transaction
 * under a transaction-scoped advisory lock keyed on the table, so a second process waits, then
 * finds the versions recorded and does nothing. Once everything is applied, setup is a single
 * read and takes no lock (and needs no DDL privileges).
 */
import type { TableName } from "./identifiers.js";
import { qualified, quoteIdent } from "./identifiers.js";
import type { RawClient } from "./raw-client.js";

/** One schema step. */
export interface Migration {
  /** What the step does; recorded with its version in `<table>_migrations`. */
  description: string;
  /** The step's DDL for the table `name`, run once in the migrations' transaction. */
  sql(name: TableName): string;
}

/**
 * The physical expiry that Keyv wrote into a value, as a bigint (epoch ms), or NULL.
 *
 * Why an expression and not a column of our own: Keyv's `set()` upserts `(key, value)` only, so a
 * column of ours would go stale whenever plain Keyv rewrites a row; an expression over `value`
 * can never disagree with it. Keyv's serializer writes `{"value":…,"expires":N}` with `expires`
 * last, so the anchored pattern only matches the top-level field (a nested `expires` is followed
 * by more than one `}`). Rows without expiry, or written with another serializer, give NULL and
 * stay out of the partial index. `substring(text from pattern)` and the cast are immutable, as an
 * index expression requires. `purge` must use this exact expression to use the index.
 */
export const EXPIRES_EXPRESSION = `(substring(value from '"expires":(\\d{1,15})\\}$')::bigint)`;

/** The store's table: Keyv's own DDL, then the expiry index. */
export const STORE_MIGRATIONS: readonly Migration[] = [
  {
    // Verbatim @keyv/postgres 2.2 DDL (keySize 255), so Keyv finds the table it would have made.
    description: "keyv table",
    sql: (n) => `CREATE TABLE IF NOT EXISTS ${qualified(n)} (key VARCHAR(255) PRIMARY KEY, value TEXT)`,
  },
  {
    description: "partial index on the expiry inside the Keyv value, for purge",
    sql: (n) =>
      `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${n.table}_expires_idx`)} ON ${qualified(n)} (${EXPIRES_EXPRESSION}) ` +
      `WHERE ${EXPIRES_EXPRESSION} IS NOT NULL`,
  },
];

/** The audit table: append-only, read by time range with keyset pagination on `(ts, id)`. */
export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    description: "audit table",
    sql: (n) =>
      `CREATE TABLE IF NOT EXISTS ${qualified(n)} (` +
      "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ts BIGINT NOT NULL, action_type TEXT NOT NULL, " +
      "idempotency_key TEXT, response_id TEXT, outcome TEXT NOT NULL, session_id TEXT NOT NULL, tool_call_id TEXT, " +
      "fingerprint TEXT NOT NULL, attempt INTEGER NOT NULL, duration_ms DOUBLE PRECISION NOT NULL)",
  },
  {
    description: "index on (ts, id) for time ranges",
    sql: (n) => `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${n.table}_ts_idx`)} ON ${qualified(n)} (ts, id)`,
  },
  {
    description: "scope, key_sent, turn and live detection's repeat_of, repeat_decision",
    sql: (n) =>
      `ALTER TABLE ${qualified(n)} ADD COLUMN IF NOT EXISTS scope TEXT, ADD COLUMN IF NOT EXISTS key_sent BOOLEAN, ` +
      "ADD COLUMN IF NOT EXISTS turn TEXT, ADD COLUMN IF NOT EXISTS repeat_of TEXT, ADD COLUMN IF NOT EXISTS repeat_decision TEXT",
  },
];

/**
 * Applies the steps of `list` that `<table>_migrations` does not record yet; returns how many
 * ran. Idempotent and safe to run from several processes at once.
 */
export async function migrate(client: RawClient, name: TableName, list: readonly Migration[]): Promise<number> {
  const versions = qualified(name, "_migrations");
  const found = await client.query<{ reg: string | null }>("SELECT to_regclass($1) AS reg", [versions]);
  if (found.rows[0]?.reg) {
    const { rows } = await client.query<{ max: number | null }>(`SELECT max(version) AS max FROM ${versions}`);
    if ((rows[0]?.max ?? -1) >= list.length - 1) return 0;
  }
  return client.transaction(async (c) => {
    await c.query("SELECT 1"); // inside BEGIN: where transactions are refused, fail here, before any DDL
    await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`agent-idempotency:migrate:${name.schema}.${name.table}`]);
    // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when it exists.
    const ns = await c.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [name.schema]);
    if (ns.rowCount === 0) await c.query(`CREATE SCHEMA ${quoteIdent(name.schema)}`);
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${versions} (version INTEGER PRIMARY KEY, description TEXT NOT NULL, ` +
        "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    );
    const done = new Set((await c.query(`SELECT version FROM ${versions}`)).rows.map((r: { version: number }) => r.version));
    let applied = 0;
    for (const [version, step] of list.entries()) {
      if (done.has(version)) continue;
      await c.query(step.sql(name));
      await c.query(`INSERT INTO ${versions} (version, description) VALUES ($1, $2)`, [version, step.description]);
      applied++;
    }
    return applied;
  }).catch((cause: unknown) => {
    if (!/statement pooling mode/i.test(String((cause as Error | undefined)?.message))) throw cause;
    // A plain Error: the store wraps it as setup's cause, which the caller's error then carries.
    throw new Error(
      "setup() runs its migrations in one transaction (under a transaction-scoped advisory lock), and PgBouncer in statement " +
        "pooling mode refuses transactions: run setup() once against Postgres directly, or through a session or transaction pool; " +
        "once the schema is there, the store runs in statement mode (every other step is a single statement)",
      { cause },
    );
  });
}

/**
 * What `setup()` does instead of migrating for a store or log opened with `create: false`
 * (read-only tools such as the CLI): checks that the table exists, creating nothing, and names it
 * when it does not, so a misspelt `?table=` is an error instead of a new, empty table.
 */
export async function requireTable(client: RawClient, name: TableName, what: string): Promise<void> {
  const found = await client.query<{ reg: string | null }>("SELECT to_regclass($1) AS reg", [qualified(name)]);
  if (found.rows[0]?.reg) return;
  throw new Error(
    `the ${what} table ${name.schema}.${name.table} does not exist (opened with create: false, so nothing is created); ` +
      "check the table (and schema) name, or run the engine (setup()) once to create it",
  );
}
