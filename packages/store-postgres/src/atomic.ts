/**
 * The atomic primitives of {@link PostgresStore}, each ONE statement on the rows Keyv owns.
 *
 * Isolation is Postgres' default, READ COMMITTED. Why each statement is safe there:
 * - insert-if-absent: `INSERT … ON CONFLICT (key) DO NOTHING` sees conflicts with rows that are
 *   not in its snapshot yet (it waits for the other inserter), so exactly one caller inserts.
 *   The same statement reads the existing value, but with the statement's snapshot: when the
 *   winner committed after that snapshot, the read comes back empty and we read once more with a
 *   fresh statement (or report `undefined`, and the base class goes another round).
 * - compare-and-set / compare-and-delete: `UPDATE/DELETE … WHERE key = $1 AND value = $2`. A
 *   concurrent writer makes Postgres re-check the WHERE clause on the newest row version, so of
 *   several callers holding the same expected value exactly one matches.
 * - purge re-checks the expiry in the DELETE itself, so a record that a claim replaced between
 *   the selection and the delete (a fresh one, not expired) is left alone.
 *
 * Expiry lives inside the value (see `EXPIRES_EXPRESSION`), so `expiresAt` needs no column.
 */
import { BatchedPurge, listByKeyset } from "@agent-idempotency/core/store";
import type { AtomicOps, KeyedRow, PurgeSchedule } from "@agent-idempotency/core/store";
import type { ListOptions } from "@agent-idempotency/core";
import type { TableName } from "./identifiers.js";
import { qualified } from "./identifiers.js";
import { EXPIRES_EXPRESSION } from "./migrations.js";
import type { RawClient } from "./raw-client.js";

/** {@link AtomicOps} plus a way to wait for background work before the pool closes. */
export interface PostgresAtomicOps extends AtomicOps {
  /** Resolves when no background purge is running. */
  idle(): Promise<void>;
}

/**
 * Builds the primitives for one table. `prefix` is the namespace as Keyv writes it (`ns:`), for
 * the background purge; `setup` creates the schema.
 */
export function postgresAtomicOps(
  client: RawClient,
  name: TableName,
  prefix: string,
  schedule: PurgeSchedule,
  setup: () => Promise<void>,
): PostgresAtomicOps {
  const t = qualified(name);
  const sql = {
    claim:
      `WITH ins AS (INSERT INTO ${t} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING 1) ` +
      `SELECT EXISTS (SELECT 1 FROM ins) AS inserted, (SELECT value FROM ${t} WHERE key = $1) AS existing`,
    get: `SELECT value FROM ${t} WHERE key = $1`,
    cas: `UPDATE ${t} SET value = $3 WHERE key = $1 AND value = $2`,
    cad: `DELETE FROM ${t} WHERE key = $1 AND value = $2`,
    list: `SELECT key, value FROM ${t} WHERE key > $2 AND starts_with(key, $1) ORDER BY key LIMIT $3`,
    // SKIP LOCKED: two purgers (or a purger and a claim holding the row) never wait on each other.
    purge:
      `DELETE FROM ${t} WHERE key IN (SELECT key FROM ${t} WHERE ${EXPIRES_EXPRESSION} <= $2 AND starts_with(key, $1) ` +
      `LIMIT $3 FOR UPDATE SKIP LOCKED) AND ${EXPIRES_EXPRESSION} <= $2`,
  };

  const read = async (key: string): Promise<string | undefined> => {
    const { rows } = await client.query<{ value: string | null }>(sql.get, [key]);
    return rows[0]?.value ?? undefined;
  };

  // Background purge every `schedule.every` writes, so the table stays small without a full scan
  // on the claim path.
  const purger = new BatchedPurge(
    async (pfx, before) => (await client.query(sql.purge, [pfx, before, schedule.batch])).rowCount ?? 0,
    schedule,
    prefix,
  );

  return {
    async insertIfAbsent(key, raw) {
      const { rows } = await client.query<{ inserted: boolean; existing: string | null }>(sql.claim, [key, raw]);
      const row = rows[0];
      if (row?.inserted) {
        purger.wrote();
        return { inserted: true };
      }
      // The winner committed after our snapshot: a fresh statement sees it (or it is gone again).
      const existing = row?.existing ?? (await read(key));
      return { inserted: false, existing };
    },

    async compareAndSet(key, expected, raw) {
      const ok = (await client.query(sql.cas, [key, expected, raw])).rowCount === 1;
      if (ok) purger.wrote();
      return ok;
    },

    async compareAndDelete(key, expected) {
      return (await client.query(sql.cad, [key, expected])).rowCount === 1;
    },

    get: read,

    list: (pfx: string, options?: ListOptions) =>
      listByKeyset(async (after, size) => (await client.query<KeyedRow>(sql.list, [pfx, after ?? "", size])).rows, options?.limit),

    purge: (pfx, before) => purger.purge(pfx, before),

    setup,

    idle: () => purger.idle(),

    async close() {
      await purger.idle();
      await client.end();
    },
  };
}
