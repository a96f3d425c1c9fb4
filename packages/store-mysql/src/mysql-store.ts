/**
 * {@link MysqlStore}: idempotency records in a MySQL or MariaDB table that `@keyv/mysql` reads and
 * writes too. Claims and outcomes are single conditional statements (see atomic.ts); Keyv keeps
 * the value encoding and stays able to read every record.
 */
import { IdempotencyStoreError } from "@agent-idempotency/core";
import { KeyvBackedStore } from "@agent-idempotency/core/store";
import Keyv from "keyv";
import { mysqlAtomicOps } from "./atomic.js";
import type { MysqlAtomicOps } from "./atomic.js";
import { validateIdentifier, validateNamespace } from "./identifiers.js";
import { migrate, requireTable, STORE_MIGRATIONS } from "./migrations.js";
import type { MysqlPool } from "./raw-client.js";
import { createKeyvAdapter, RawClient } from "./raw-client.js";

/** Options of {@link MysqlStore}. */
export interface MysqlStoreOptions {
  /** `mysql://user:password@host:3306/database`. Required unless `pool` is given. */
  uri?: string;
  /** Table name (lower-case identifier), in the connection's database. Default `"agent_idempotency"`. */
  table?: string;
  /** Keyv namespace, i.e. the key prefix `namespace:`. Default `"idempotency"`. */
  namespace?: string;
  /**
   * A `mysql2/promise` pool that you keep owning: the store runs on it and never ends it. It must
   * keep mysql2's default `CLIENT_FOUND_ROWS` flag. Without it the store opens a private pool.
   */
  pool?: MysqlPool;
  /** Connections in the private pool. Default 10. Ignored with `pool`. */
  poolSize?: number;
  /** Connect and handshake timeout of the private pool's connections. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * Delete one batch of expired records in the background after this many writes; 0 turns it
   * off (then run `purge()` from a cron job). Default 1000.
   */
  purgeEvery?: number;
  /** Rows per purge statement. Default 500. */
  purgeBatch?: number;
  /**
   * Create what is missing (table, index, `<table>_migrations`) on setup. Default `true`. `false`:
   * `setup()` only checks that the table exists and fails, naming it, when it does not; for
   * read-only tools (the CLI), so a misspelt table name never creates an empty table.
   */
  create?: boolean;
}

const NAME = "store-mysql";
const DEFAULTS = { table: "agent_idempotency", namespace: "idempotency", poolSize: 10, connectTimeoutMs: 10_000, purgeEvery: 1000, purgeBatch: 500 };

function fail(message: string): never {
  throw new IdempotencyStoreError(`[${NAME}] ${message}`);
}

function positiveInt(option: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) fail(`invalid option ${option}: ${String(value)}; use an integer >= ${min}`);
  return value;
}

/** Checks the connection options; never echoes the URI (it may hold a password). */
function checkConnection(options: MysqlStoreOptions): void {
  if (typeof options !== "object" || options === null) fail("pass options.uri (mysql://…) or options.pool");
  const { uri, pool } = options;
  if (uri !== undefined && pool !== undefined) fail("pass uri or pool, not both");
  if (pool !== undefined) {
    if (typeof (pool as { query?: unknown }).query !== "function" || typeof (pool as { getConnection?: unknown }).getConnection !== "function") {
      fail("invalid option pool: expected a mysql2/promise pool (mysql.createPool() from mysql2/promise)");
    }
    return;
  }
  if (typeof uri !== "string") fail("pass options.uri (mysql://…) or options.pool");
  let protocol: string;
  try {
    protocol = new URL(uri).protocol;
  } catch {
    fail("invalid option uri: not a URL; expected mysql://user:password@host:3306/database");
  }
  if (protocol !== "mysql:" && protocol !== "mariadb:") fail(`invalid option uri: the scheme must be mysql: (or mariadb:), not ${protocol}`);
}

/** mysql2 reads only `mysql:`; `mariadb://` is accepted as a synonym. */
const driverUri = (uri: string | undefined) => uri?.replace(/^mariadb:/i, "mysql:");

/**
 * A shared, multi-machine idempotency store on MySQL 8 or MariaDB 10.11 (via `@keyv/mysql` 2 and
 * `mysql2` 3).
 *
 * The constructor does no I/O. The table and a `<table>_migrations` table are created on first
 * use (or by `setup()`), safely from several processes at once. `close()` ends only the pool this
 * instance opened; an injected pool stays open.
 *
 * @example
 * ```ts
 * import { createIdempotency } from "@agent-idempotency/core";
 * import { MysqlStore } from "@agent-idempotency/store-mysql";
 *
 * const store = new MysqlStore({ uri: "mysql://root@127.0.0.1:3306/test" });
 * const idempotency = createIdempotency({ store, tools: { charge_card: { identity: ["order_id"] } } });
 * const out = await idempotency.run(
 *   { action: "charge_card", args: { order_id: "o-1", cents: 500 }, sessionId: "s-1" },
 *   async ({ key }) => ({ charge_id: `ch_${key}` }),
 * );
 * await idempotency.close(); // closes the store too
 * ```
 */
export class MysqlStore extends KeyvBackedStore {
  /** Where the records live (a validated identifier), in the connection's database. */
  readonly table: string;
  readonly #client: RawClient;
  readonly #ops: MysqlAtomicOps;

  constructor(options: MysqlStoreOptions) {
    checkConnection(options);
    const table = validateIdentifier("table", options.table ?? DEFAULTS.table);
    const namespace = validateNamespace(options.namespace ?? DEFAULTS.namespace);
    let client: RawClient;
    try {
      client = new RawClient({
        uri: driverUri(options.uri),
        pool: options.pool,
        poolSize: positiveInt("poolSize", options.poolSize, DEFAULTS.poolSize, 1),
        connectTimeoutMs: positiveInt("connectTimeoutMs", options.connectTimeoutMs, DEFAULTS.connectTimeoutMs, 1),
      });
    } catch (cause) {
      if (cause instanceof IdempotencyStoreError) throw cause;
      throw new IdempotencyStoreError(`[${NAME}] invalid option pool: ${(cause as Error).message}`, { cause });
    }
    const schedule = {
      every: positiveInt("purgeEvery", options.purgeEvery, DEFAULTS.purgeEvery, 0),
      batch: positiveInt("purgeBatch", options.purgeBatch, DEFAULTS.purgeBatch, 1),
    };
    // `self` is bound after super(): the adapter and the ops only call it on first use.
    let self: MysqlStore | undefined;
    const ready = () => self!.setup();
    const ops = mysqlAtomicOps(client, table, `${namespace}:`, schedule, async () => {
      if (options.create === false) await requireTable(client, table, "store");
      else await migrate(client, table, STORE_MIGRATIONS);
    });
    // throwOnErrors: Keyv would otherwise turn a failed read into `undefined` (a silent miss).
    const keyv = new Keyv(createKeyvAdapter(client, table, ready), { namespace, throwOnErrors: true });
    super({ keyv, atomic: ops, name: NAME });
    self = this;
    this.table = table;
    this.#client = client;
    this.#ops = ops;
  }

  /** True when this store opened its own pool (and `close()` ends it). */
  get ownsPool(): boolean {
    return this.#client.ownsPool;
  }

  /** Resolves when the background purge (if one is running) has finished. For tests and shutdown. */
  idle(): Promise<void> {
    return this.#ops.idle();
  }

  /** Keeps the pool out of `JSON.stringify` (and so out of logs). */
  toJSON(): Record<string, unknown> {
    return { store: NAME, table: this.table, namespace: this.keyv.namespace };
  }
}
