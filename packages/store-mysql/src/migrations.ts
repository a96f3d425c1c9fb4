/**
 * Schema versions. Each list is ordered and its index is the version number; a table
 * `<table>_migrations` next to the data records which versions ran. Append new steps, never edit
 * or reorder old ones.
 *
 * MySQL commits DDL implicitly, so the steps cannot share a transaction. Instead `migrate()` holds
 * a named lock (`GET_LOCK`, keyed on the table) on one connection while it applies them: a second
 * process waits, then finds the versions recorded and does nothing. Once everything is applied,
 * setup is a single read and takes no lock (and needs no DDL privileges).
 */
import { quoteIdent } from "./identifiers.js";
import type { Query, RawClient } from "./raw-client.js";

/** One schema step: statements on one connection that holds the migration lock. */
export interface Migration {
  /** What the step does; recorded with its version in `<table>_migrations`. */
  description: string;
  /** Runs the step's statements for the table named `table`, through `query` on the connection holding the lock. */
  apply(query: Query, table: string): Promise<void>;
}

const BIN = "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";

/**
 * The store's table: Keyv's columns (`id`, `value`, so `@keyv/mysql` reads and writes the same
 * rows) plus `expires_at`, the physical expiry our own statements write, indexed for purge.
 *
 * Both text columns use the binary collation `utf8mb4_bin`: the server's default collations are
 * case- and accent-insensitive, which would make namespaces `A` and `a` share keys, and make the
 * compare-and-set `value = ?` match a value that differs only in case. `LONGTEXT` because Keyv's
 * `TEXT` stops at 64 KB, less than a large tool result. A table that plain Keyv created first
 * (`id VARCHAR(255) PRIMARY KEY, value TEXT`) is converted in place, its rows kept.
 */
export const STORE_MIGRATIONS: readonly Migration[] = [
  {
    description: "keyv table with a binary collation, LONGTEXT values and an indexed expiry column",
    async apply(query, t) {
      await query(
        `CREATE TABLE IF NOT EXISTS ${quoteIdent(t)} (id VARCHAR(255) ${BIN} NOT NULL PRIMARY KEY, value LONGTEXT ${BIN}, ` +
          `expires_at BIGINT NULL, KEY ${quoteIdent(`${t}_expires_idx`)} (expires_at)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      );
      const [has] = await query<{ n: number }>(
        "SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = 'expires_at'",
        [t],
      );
      if (Number(has?.n) > 0) return;
      // Plain Keyv made the table: same rows, our column types (MySQL 8 has no ADD COLUMN IF NOT EXISTS).
      await query(
        `ALTER TABLE ${quoteIdent(t)} MODIFY id VARCHAR(255) ${BIN} NOT NULL, MODIFY value LONGTEXT ${BIN}, ` +
          `ADD COLUMN expires_at BIGINT NULL, ADD KEY ${quoteIdent(`${t}_expires_idx`)} (expires_at)`,
      );
    },
  },
];

/** The audit table: append-only, read by time range with keyset pagination on `(ts, id)`. */
export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    description: "audit table with an index on (ts, id)",
    async apply(query, t) {
      await query(
        `CREATE TABLE IF NOT EXISTS ${quoteIdent(t)} (` +
          "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, ts BIGINT NOT NULL, action_type TEXT NOT NULL, " +
          "idempotency_key TEXT NULL, response_id TEXT NULL, outcome VARCHAR(32) NOT NULL, session_id TEXT NOT NULL, " +
          "tool_call_id TEXT NULL, fingerprint VARCHAR(64) NOT NULL, attempt INT NOT NULL, duration_ms DOUBLE NOT NULL, " +
          `KEY ${quoteIdent(`${t}_ts_idx`)} (ts, id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      );
    },
  },
  {
    description: "scope, key_sent, turn and live detection's repeat_of, repeat_decision",
    async apply(query, t) {
      // One ALTER (MySQL 8 has no ADD COLUMN IF NOT EXISTS; the step runs once, under the lock).
      await query(
        `ALTER TABLE ${quoteIdent(t)} ADD COLUMN scope TEXT NULL, ADD COLUMN key_sent BOOLEAN NULL, ADD COLUMN turn TEXT NULL, ` +
          "ADD COLUMN repeat_of TEXT NULL, ADD COLUMN repeat_decision VARCHAR(32) NULL",
      );
    },
  },
];

/** How long a second process waits for another one's migration before giving up. */
const LOCK_WAIT_SECONDS = 60;

/**
 * Applies the steps of `list` that `<table>_migrations` does not record yet; returns how many
 * ran. Idempotent and safe to run from several processes at once.
 */
export async function migrate(client: RawClient, table: string, list: readonly Migration[]): Promise<number> {
  const versions = quoteIdent(`${table}_migrations`);
  const applied = async (q: Query) => {
    const [found] = await q<{ n: number }>(
      "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
      [`${table}_migrations`],
    );
    if (Number(found?.n ?? 0) === 0) return new Set<number>();
    return new Set((await q<{ version: number }>(`SELECT version FROM ${versions}`)).map((r) => Number(r.version)));
  };
  if ((await applied(client.query)).size >= list.length) return 0;
  return client.withConnection(async (q) => {
    // Hashed: MySQL refuses lock names longer than 64 characters.
    const lock = `SHA1(CONCAT(DATABASE(), ':agent-idempotency:migrate:', ?))`;
    const [got] = await q<{ ok: number | null }>(`SELECT GET_LOCK(${lock}, ?) AS ok`, [table, LOCK_WAIT_SECONDS]);
    if (Number(got?.ok) !== 1) throw new Error(`could not take the migration lock of ${table} within ${LOCK_WAIT_SECONDS} s`);
    try {
      await q(`CREATE TABLE IF NOT EXISTS ${versions} (version INT NOT NULL PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`);
      const done = await applied(q);
      let n = 0;
      for (const [version, step] of list.entries()) {
        if (done.has(version)) continue;
        await step.apply(q, table);
        await q(`INSERT INTO ${versions} (version, description) VALUES (?, ?)`, [version, step.description]);
        n++;
      }
      return n;
    } finally {
      await q(`SELECT RELEASE_LOCK(${lock})`, [table]);
    }
  });
}

/**
 * What `setup()` does instead of migrating for a store or log opened with `create: false`
 * (read-only tools such as the CLI): checks that the table exists in the connection's database,
 * creating nothing, and names it when it does not.
 */
export async function requireTable(client: RawClient, table: string, what: string): Promise<void> {
  const [found] = await client.query<{ n: number; db: string | null }>(
    "SELECT COUNT(*) AS n, DATABASE() AS db FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
    [table],
  );
  if (Number(found?.n ?? 0) > 0) return;
  throw new Error(
    `the ${what} table ${found?.db ?? "(no database)"}.${table} does not exist (opened with create: false, so nothing is created); ` +
      "check the table name and the database in the URI, or run the engine (setup()) once to create it",
  );
}
