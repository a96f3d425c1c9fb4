/**
 * The only file that relies on how `@keyv/sqlite` works inside. Pinned to major 4 (4.0.x, which
 * brings sqlite3 5); re-check everything below before moving to another major (keyv 6's adapters
 * change their internals).
 *
 * What @keyv/sqlite 4 does, and how we use it:
 * - Its constructor always opens its own sqlite3 handle (it overwrites any `connect` option) and
 *   keeps it in a closure, out of reach, then runs `CREATE TABLE IF NOT EXISTS <table>(key
 *   VARCHAR(255) PRIMARY KEY, value TEXT )` on it.
 * - Every method goes through the public instance properties `query(sql, ...params)` (sqlite3's
 *   `all`; params spread, or one array in `iterator`) and `close()`.
 *
 * So we let it open a private `:memory:` handle (no file is touched), close that at once, and
 * point `query` and `close` at our {@link SqliteConnection}. The adapter and our atomic
 * statements then share one handle on the file: the only way `:memory:` can work (two
 * connections to `:memory:` are two databases), one handle per store, and opened on first use.
 *
 * - A table name that is not all letters gets a leading underscore (`my_records` becomes
 *   `_my_records`); we read the name it settled on from `opts.table` and use the same table.
 * - Values are whatever Keyv serialized (`{"value":…,"expires":…}` JSON); keys are `namespace:key`.
 */
import { KeyvSqlite } from "@keyv/sqlite";
import type { SqliteConnection } from "./connection.js";

/** The adapter, and the table name it actually uses. */
export interface SqliteAdapter {
  adapter: KeyvSqlite;
  table: string;
}

/**
 * A `KeyvSqlite` whose queries run on `conn`, each after `ready()` (the store's setup, so the
 * table exists even when Keyv is used before the store). Its `close()` does nothing: the store
 * owns the connection, so `keyv.disconnect()` cannot pull the handle from under it.
 */
export function createKeyvSqlite(conn: SqliteConnection, table: string, ready: () => Promise<void>): SqliteAdapter {
  const adapter = new KeyvSqlite({ uri: "sqlite://:memory:", table });
  const closePrivateHandle = adapter.close;
  adapter.query = async (sql: string, ...params: unknown[]) => {
    await ready();
    const bound = params.length === 1 && Array.isArray(params[0]) ? (params[0] as unknown[]) : params;
    return conn.all(sql, bound);
  };
  adapter.close = async () => undefined;
  // If that private open failed, the adapter has already emitted the error; nothing to close.
  closePrivateHandle().catch(() => undefined);
  const settled = adapter.opts.table;
  if (typeof settled !== "string") throw new Error("@keyv/sqlite exposes no opts.table; is it version 4?");
  return { adapter, table: settled };
}
