/**
 * The atomic primitives of {@link MysqlStore}, each ONE statement on the rows Keyv owns, written
 * for what MySQL 8 and MariaDB 10.11 both have: no `RETURNING` on MySQL, none on `UPDATE`
 * anywhere, so each step reads the affected-rows count instead (with `CLIENT_FOUND_ROWS`: rows
 * matched, see raw-client.ts).
 *
 * | step              | statement                                                          |
 * | ----------------- | ------------------------------------------------------------------ |
 * | insert-if-absent  | `INSERT IGNORE … VALUES (?, ?, ?)`: 1 row = inserted, 0 = the key exists; then `SELECT value` |
 * | compare-and-set   | `UPDATE … SET value = ?, expires_at = ? WHERE id = ? AND value = ?`: 1 = ours |
 * | compare-and-delete| `DELETE … WHERE id = ? AND value = ?`                               |
 * | purge             | `DELETE … WHERE id in the prefix AND expires_at <= ? … LIMIT n`, in batches |
 *
 * Why these are safe under InnoDB's default REPEATABLE READ with autocommit: each statement is its
 * own transaction, and INSERT, UPDATE and DELETE take row locks and evaluate their WHERE clause on
 * the newest committed row version (locking reads), not on a snapshot. Two inserters of one key:
 * the second waits for the first's lock and then sees the duplicate. Two compare-and-sets with
 * the same expected value: the second waits, re-reads the row the first wrote, and matches
 * nothing. The `SELECT` after a lost insert is a fresh statement, so it sees the winner's commit
 * (or nothing, if the record was deleted meanwhile: the base class then goes another round).
 *
 * `INSERT IGNORE` downgrades more than duplicate keys to warnings (a too-long key would be
 * truncated), so keys are checked against the column's 255 characters before they reach it.
 *
 * `expires_at` is the physical expiry our statements write next to Keyv's value; purge deletes a
 * row only if the value still ends with that same `"expires":N}`, so a row that plain Keyv
 * rewrote (which leaves `expires_at` alone) is never purged on a stale expiry.
 */
import { BatchedPurge, listByKeyset } from "@agent-idempotency/core/store";
import type { AtomicOps, KeyedRow, PurgeSchedule } from "@agent-idempotency/core/store";
import type { ListOptions } from "@agent-idempotency/core";
import { prefixRange, quoteIdent } from "./identifiers.js";
import type { RawClient } from "./raw-client.js";

/** {@link AtomicOps} plus a way to wait for background work before the pool closes. */
export interface MysqlAtomicOps extends AtomicOps {
  /** Resolves when no background purge is running. */
  idle(): Promise<void>;
}

/** `id VARCHAR(255)`: counted in characters. */
const MAX_KEY_LENGTH = 255;

function checkKey(key: string): string {
  if ([...key].length > MAX_KEY_LENGTH) throw new Error(`the key is longer than the id column's ${MAX_KEY_LENGTH} characters (a namespace of at most 64 and the engine's keys fit)`);
  return key;
}

/** The expiry as the BIGINT column holds it; rounding up never purges a record early. */
const expiry = (at: number) => Math.ceil(at);

/**
 * Builds the primitives for one table. `prefix` is the namespace as Keyv writes it (`ns:`), for
 * the background purge; `setup` creates the schema.
 */
export function mysqlAtomicOps(client: RawClient, table: string, prefix: string, schedule: PurgeSchedule, setup: () => Promise<void>): MysqlAtomicOps {
  const t = quoteIdent(table);
  const sql = {
    claim: `INSERT IGNORE INTO ${t} (id, value, expires_at) VALUES (?, ?, ?)`,
    get: `SELECT value FROM ${t} WHERE id = ?`,
    cas: `UPDATE ${t} SET value = ?, expires_at = ? WHERE id = ? AND value = ?`,
    cad: `DELETE FROM ${t} WHERE id = ? AND value = ?`,
    list: `SELECT id AS \`key\`, value FROM ${t} WHERE id > ? AND id < ? ORDER BY id LIMIT ?`,
    // ORDER BY the primary key: a DELETE … LIMIT is then deterministic, as statement-based
    // replication requires. The LIKE re-checks that Keyv's value still carries this expiry.
    purge:
      `DELETE FROM ${t} WHERE id >= ? AND id < ? AND expires_at <= ? ` +
      `AND value LIKE CONCAT('%"expires":', expires_at, '}') ORDER BY id LIMIT ?`,
  };

  const read = async (key: string): Promise<string | undefined> => {
    const [row] = await client.query<{ value: string | null }>(sql.get, [key]);
    return row?.value ?? undefined;
  };

  // Background purge every `schedule.every` writes, so the table stays small without a full scan
  // on the claim path.
  const purger = new BatchedPurge(
    (pfx, before) => client.write(sql.purge, [...prefixRange(pfx), Math.floor(before), schedule.batch]),
    schedule,
    prefix,
  );

  return {
    async insertIfAbsent(key, raw, expiresAt) {
      if ((await client.write(sql.claim, [checkKey(key), raw, expiry(expiresAt)])) === 1) {
        purger.wrote();
        return { inserted: true };
      }
      return { inserted: false, existing: await read(key) };
    },

    async compareAndSet(key, expected, raw, expiresAt) {
      const ok = (await client.write(sql.cas, [raw, expiry(expiresAt), key, expected])) === 1;
      if (ok) purger.wrote();
      return ok;
    },

    async compareAndDelete(key, expected) {
      return (await client.write(sql.cad, [key, expected])) === 1;
    },

    get: read,

    list(pfx: string, options?: ListOptions) {
      const [from, to] = prefixRange(pfx);
      return listByKeyset((after, size) => client.query<KeyedRow>(sql.list, [after ?? from, to, size]), options?.limit);
    },

    purge: (pfx, before) => purger.purge(pfx, before),

    setup,

    idle: () => purger.idle(),

    async close() {
      await purger.idle();
      await client.end();
    },
  };
}
