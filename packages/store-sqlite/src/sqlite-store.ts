/**
 * {@link SqliteStore}: the embedded, persistent store for one machine and for notebooks. Records
 * are ordinary Keyv rows in @keyv/sqlite's table, written by atomic SQL statements (atomic.ts) on
 * the adapter's own handle (raw-client.ts). Several processes may share one file (WAL journal,
 * busy timeout); for several machines use PostgresStore or RedisStore.
 */
import { KeyvBackedStore } from "@agent-idempotency/core/store";
import Keyv from "keyv";
import { sqliteAtomicOps } from "./atomic.js";
import type { SqliteDatabase } from "./connection.js";
import { SqliteConnection } from "./connection.js";
import { boolOption, countOption, namespaceOption, pathOption, tableOption } from "./options.js";
import { createKeyvSqlite } from "./raw-client.js";

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file, created on first use (or `":memory:"`). Required unless `db` is given. */
  path?: string;
  /** Keyv namespace: records live under `namespace:key`. Default `"idempotency"`. */
  namespace?: string;
  /**
   * The Keyv table. Default `"keyv"`, @keyv/sqlite's own default, so a plain `KeyvSqlite` on the
   * same file reads the records. Names that are not all letters get a leading `_` (the adapter's rule).
   */
  table?: string;
  /** How long a write waits for another connection's lock before failing. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * An open sqlite3 `Database` to use instead of opening `path`. The caller keeps owning it:
   * `close()` leaves it open, and its journal mode is left as it is.
   */
  db?: SqliteDatabase;
  /** Delete up to 500 expired records of this namespace every this many writes; 0 turns it off. Default 1000. */
  sweepEvery?: number;
  /**
   * Create what is missing (the file, the table, its index) on setup. Default `true`. `false`:
   * open an existing file and table only, and fail naming the one that is missing; for read-only
   * tools (the CLI), so a misspelt path or table name never creates an empty one.
   */
  create?: boolean;
}

/**
 * An idempotency store in a SQLite file.
 *
 * @example
 * ```ts
 * import { createIdempotency } from "@agent-idempotency/core";
 * import { SqliteStore } from "@agent-idempotency/store-sqlite";
 *
 * const store = new SqliteStore({ path: "./idempotency.db" });
 * const idempotency = createIdempotency({ store, tools: { charge_card: { identity: ["order_id"] } } });
 * const out = await idempotency.run(
 *   { action: "charge_card", args: { order_id: "o-1", amount: 42 }, sessionId: "s-1" },
 *   async ({ key }) => ({ charge_id: `ch_${key.slice(0, 8)}` }),
 * );
 * await store.close();
 * ```
 */
export class SqliteStore extends KeyvBackedStore {
  /** The database file (`":memory:"`, or undefined for an injected handle). */
  readonly path: string | undefined;
  /** The table the records live in, as the Keyv adapter names it. */
  readonly table: string;
  readonly #conn: SqliteConnection;

  constructor(options: SqliteStoreOptions) {
    const opts = (options ?? {}) as SqliteStoreOptions;
    const path = opts.db === undefined ? pathOption(opts.path) : opts.path;
    const namespace = namespaceOption(opts.namespace, "idempotency");
    const busyTimeoutMs = opts.busyTimeoutMs === undefined ? undefined : countOption("busyTimeoutMs", opts.busyTimeoutMs, 0);
    const sweepEvery = countOption("sweepEvery", opts.sweepEvery, 1000);
    const create = boolOption("create", opts.create, true);
    const conn = new SqliteConnection({ path, db: opts.db, busyTimeoutMs, create });
    // Keyv reads wait for setup() (the table must exist); `late` is bound to this store below.
    const late = { setup: (): Promise<void> => Promise.resolve() };
    const { adapter, table } = createKeyvSqlite(conn, tableOption("table", opts.table, "keyv"), () => late.setup());
    // throwOnErrors: reads through `store.keyv` report a failing database instead of `undefined`.
    const keyv = new Keyv(adapter, { namespace, throwOnErrors: true });
    super({ keyv, atomic: sqliteAtomicOps(conn, table, { prefix: `${namespace}:`, sweepEvery, create }), name: "store-sqlite" });
    this.path = path;
    this.table = table;
    this.#conn = conn;
    late.setup = () => this.setup();
  }

  /** Keeps the database handle out of `JSON.stringify` and logs. */
  toJSON(): { store: string; path: string | undefined; table: string; namespace: string | undefined } {
    return { store: "SqliteStore", path: this.path, table: this.table, namespace: this.keyv.namespace };
  }

  /** True once the database is open; for tests and diagnostics. */
  get isOpen(): boolean {
    return this.#conn.isOpen;
  }
}
