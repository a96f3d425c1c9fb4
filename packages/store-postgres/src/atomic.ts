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
import type { AtomicOps } from "@agent-idempotency/core/store";
import type { ListOptions } from "@agent-idempotency/core";
import type { TableName } from "./identifiers.js";
import { qualified } from "./identifiers.js";
import { EXPIRES_EXPRESSION } from "./migrations.js";
import type { RawClient } from "./raw-client.js";

/** Tuning of the background purge. */
export interface PurgeSchedule {
  /** Run one bounded purge batch after this many writes; 0 turns it off. */
  every: number;
  /** Rows deleted per statement, in the background and per round of `purge()`. */
  batch: number;
}

/** {@link AtomicOps} plus a way to wait for background work before the pool closes. */
export interface PostgresAtomicOps extends AtomicOps {
  /** Resolves when no background purge is running. */
  idle(): Promise<void>;
}

const LIST_PAGE = 500;

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

  const purgeBatch = async (pfx: string, before: number): Promise<number> =>
    (await client.query(sql.purge, [pfx, before, schedule.batch])).rowCount ?? 0;

  // Background purge: one bounded batch every `schedule.every` writes, never two at once, so the
  // table stays small without a full scan on the claim path.
  let writes = 0;
  let running: Promise<void> | undefined;
  const wrote = () => {
    if (schedule.every <= 0 || ++writes % schedule.every !== 0 || running) return;
    running = purgeBatch(prefix, Date.now())
      .then(
        () => undefined,
        () => undefined, // best effort: the next batch (or `purge()`) tries again
      )
      .finally(() => {
        running = undefined;
      });
  };

  return {
    async insertIfAbsent(key, raw) {
      const { rows } = await client.query<{ inserted: boolean; existing: string | null }>(sql.claim, [key, raw]);
      const row = rows[0];
      if (row?.inserted) {
        wrote();
        return { inserted: true };
      }
      // The winner committed after our snapshot: a fresh statement sees it (or it is gone again).
      const existing = row?.existing ?? (await read(key));
      return { inserted: false, existing };
    },

    async compareAndSet(key, expected, raw) {
      const ok = (await client.query(sql.cas, [key, expected, raw])).rowCount === 1;
      if (ok) wrote();
      return ok;
    },

    async compareAndDelete(key, expected) {
      return (await client.query(sql.cad, [key, expected])).rowCount === 1;
    },

    get: read,

    async *list(pfx: string, options?: ListOptions) {
      let after = "";
      let left = options?.limit ?? Number.POSITIVE_INFINITY;
      while (left > 0) {
        const page = Math.min(LIST_PAGE, left);
        const { rows } = await client.query<{ key: string; value: string | null }>(sql.list, [pfx, after, page]);
        for (const row of rows) {
          if (row.value !== null) {
            left--;
            yield row.value;
          }
        }
        if (rows.length < page) return;
        after = rows[rows.length - 1]!.key;
      }
    },

    async purge(pfx, before) {
      let total = 0;
      for (;;) {
        const n = await purgeBatch(pfx, before);
        total += n;
        if (n < schedule.batch) return total;
      }
    },

    setup,

    async idle() {
      await running;
    },

    async close() {
      await running;
      await client.end();
    },
  };
}
