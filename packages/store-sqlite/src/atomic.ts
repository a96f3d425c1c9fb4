/**
 * The atomic primitives as single SQLite statements on Keyv's own table and value encoding.
 *
 * Each state change is one statement, and SQLite runs every statement under the database's write
 * lock, so two processes can never interleave inside one: `INSERT … ON CONFLICT DO NOTHING
 * RETURNING` inserts only if the key is absent; `UPDATE`/`DELETE … WHERE key = ? AND value = ?`
 * change the row only if it still holds the exact value (with its fencing token) this caller
 * last wrote. A waiting writer sleeps on the busy timeout instead of failing with SQLITE_BUSY.
 *
 * Expired rows are deleted in bounded batches through the expiry index: `purge()` on demand
 * (the CLI), and one batch every `sweepEvery` writes, off the hot path.
 */
import { BatchedPurge, listByKeyset } from "@agent-idempotency/core/store";
import type { AtomicOps, KeyedRow } from "@agent-idempotency/core/store";
import type { ListOptions } from "@agent-idempotency/core";
import type { SqliteConnection } from "./connection.js";
import { applyMigrations, EXPIRES_EXPR, requireTable, storeMigrations } from "./migrations.js";
import { retryOnBusy } from "./retry-busy.js";

/** Rows one purge batch deletes: short write transactions, so claims interleave with a purge. */
export const PURGE_BATCH = 500;

/** Options of {@link sqliteAtomicOps}. */
export interface SqliteAtomicOptions {
  /** The Keyv key prefix this store owns (`namespace:`); the sweep touches only these rows. */
  prefix: string;
  /** Sweep one batch of expired rows every this many writes; 0 turns the sweep off. */
  sweepEvery: number;
  /**
   * `false` (read-only tools): `setup()` checks that the table exists instead of migrating it
   * into existence, and fails naming it. Default true.
   */
  create?: boolean;
}

/** The smallest string above every string that starts with `prefix` (for index range scans). */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** The statements on `table`; exported for tests that check their query plans. @internal */
export function statements(table: string) {
  return {
    insert: `INSERT INTO ${table}(key, value) VALUES(?, ?) ON CONFLICT(key) DO NOTHING RETURNING 1 AS inserted`,
    get: `SELECT value FROM ${table} WHERE key = ?`,
    cas: `UPDATE ${table} SET value = ? WHERE key = ? AND value = ?`,
    cad: `DELETE FROM ${table} WHERE key = ? AND value = ?`,
    // Keyset pages over the primary key: bounded memory, no OFFSET rescans.
    listFirst: `SELECT key, value FROM ${table} WHERE key >= ? AND key < ? ORDER BY key LIMIT ?`,
    listNext: `SELECT key, value FROM ${table} WHERE key > ? AND key < ? ORDER BY key LIMIT ?`,
    // `+key`: the prefix terms must not drive the plan, or SQLite walks every row of the
    // namespace by primary key; the expiry index finds only the expired ones.
    purge: `DELETE FROM ${table} WHERE rowid IN (
      SELECT rowid FROM ${table} WHERE ${EXPIRES_EXPR} <= ? AND +key >= ? AND +key < ? LIMIT ${PURGE_BATCH})`,
  };
}

/** AtomicOps on `table` (already validated, and named as the Keyv adapter names it). */
export function sqliteAtomicOps(conn: SqliteConnection, table: string, options: SqliteAtomicOptions): AtomicOps {
  const sql = statements(table);

  // One batch of expired rows every `sweepEvery` writes, off the hot path.
  const purger = new BatchedPurge(
    (prefix, before) => conn.run(sql.purge, [before, prefix, prefixEnd(prefix)]),
    { every: options.sweepEvery, batch: PURGE_BATCH },
    options.prefix,
  );

  return {
    async setup() {
      await retryOnBusy(async () => {
        await conn.open();
        if (options.create === false) await requireTable(conn, table, "store");
        else await applyMigrations(conn, `store:${table}`, storeMigrations(table));
      });
    },

    async insertIfAbsent(key, raw) {
      // A record that exists is read without the write lock (WAL readers never wait): a replay
      // then costs one SELECT instead of an INSERT that queues behind writers and writes nothing.
      // The INSERT below stays the atomic step for a key that is absent.
      const found = await conn.all<{ value: string }>(sql.get, [key]);
      if (found.length > 0) return { inserted: false, existing: found[0]!.value };
      const rows = await conn.all<{ inserted: number }>(sql.insert, [key, raw]);
      if (rows.length === 1) {
        purger.wrote();
        return { inserted: true };
      }
      // Not atomic with the insert, on purpose: the row may be gone by now, and the caller
      // (KeyvBackedStore.claim) then simply tries the insert again.
      const existing = await conn.all<{ value: string }>(sql.get, [key]);
      return { inserted: false, existing: existing[0]?.value };
    },

    async compareAndSet(key, expected, raw) {
      const ok = (await conn.run(sql.cas, [raw, key, expected])) === 1;
      if (ok) purger.wrote();
      return ok;
    },

    async compareAndDelete(key, expected) {
      return (await conn.run(sql.cad, [key, expected])) === 1;
    },

    async get(key) {
      const rows = await conn.all<{ value: string }>(sql.get, [key]);
      return rows[0]?.value;
    },

    list(prefix: string, listOptions?: ListOptions) {
      const end = prefixEnd(prefix);
      const page = (after: string | undefined, size: number) =>
        after === undefined ? conn.all<KeyedRow>(sql.listFirst, [prefix, end, size]) : conn.all<KeyedRow>(sql.listNext, [after, end, size]);
      return listByKeyset(page, listOptions?.limit);
    },

    purge: (prefix, before) => purger.purge(prefix, before),

    async close() {
      await purger.idle();
      await conn.close();
    },
  };
}
