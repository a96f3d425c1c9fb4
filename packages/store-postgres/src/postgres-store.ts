/**
 * {@link PostgresStore}: idempotency records in a Postgres table that `@keyv/postgres` reads and
 * writes too. Claims and outcomes are single conditional statements (see atomic.ts); Keyv keeps
 * the value encoding and stays able to read every record.
 */
import { IdempotencyStoreError } from "@agent-idempotency/core";
import { KeyvBackedStore } from "@agent-idempotency/core/store";
import Keyv from "keyv";
import { postgresAtomicOps } from "./atomic.js";
import type { PostgresAtomicOps } from "./atomic.js";
import type { TableName } from "./identifiers.js";
import { validateIdentifier, validateNamespace } from "./identifiers.js";
import { migrate, requireTable, STORE_MIGRATIONS } from "./migrations.js";
import type { PgPool } from "./raw-client.js";
import { createKeyvAdapter, RawClient } from "./raw-client.js";

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user@host:5432/db`. Required unless `pool` is given. */
  uri?: string;
  /** Table name (lower-case identifier). Default `"agent_idempotency"`. */
  table?: string;
  /** Schema, created if missing. Default `"public"`. */
  schema?: string;
  /** Keyv namespace, i.e. the key prefix `namespace:`. Default `"idempotency"`. */
  namespace?: string;
  /**
   * A `pg.Pool` (or anything with its `query`/`connect`/`on` methods) that you keep owning:
   * the store runs on it and never ends it. Without it the store opens a private pool.
   */
  pool?: PgPool;
  /** Connections in the private pool. Default 10. Ignored with `pool`. */
  poolSize?: number;
  /**
   * Delete one batch of expired records in the background after this many writes; 0 turns it
   * off (then run `purge()` from a cron job). Default 1000.
   */
  purgeEvery?: number;
  /** Rows per purge statement. Default 500. */
  purgeBatch?: number;
  /**
   * Create what is missing (schema, table, index, `<table>_migrations`) on setup. Default `true`.
   * `false`: `setup()` only checks that the table exists and fails, naming it, when it does not;
   * for read-only tools (the CLI), so a misspelt table name never creates an empty table.
   */
  create?: boolean;
}

const DEFAULTS = { table: "agent_idempotency", schema: "public", namespace: "idempotency", poolSize: 10, purgeEvery: 1000, purgeBatch: 500 };

function positiveInt(option: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new IdempotencyStoreError(`[store-postgres] invalid option ${option}: ${String(value)}; use an integer >= ${min}`);
  }
  return value;
}

/**
 * A shared, multi-machine idempotency store on PostgreSQL (via `@keyv/postgres` 2).
 *
 * The constructor does no I/O. The table, its expiry index and a `<table>_migrations` table are
 * created on first use (or by `setup()`), safely from several processes at once. `close()` ends
 * only the pool this instance opened; an injected pool stays open.
 *
 * @example
 * ```ts
 * import { createIdempotency } from "@agent-idempotency/core";
 * import { PostgresStore } from "@agent-idempotency/store-postgres";
 *
 * const store = new PostgresStore({ uri: "postgres://postgres@127.0.0.1:5432/test" });
 * const idempotency = createIdempotency({ store, tools: { charge_card: { identity: ["order_id"] } } });
 * const out = await idempotency.run(
 *   { action: "charge_card", args: { order_id: "o-1", cents: 500 }, sessionId: "s-1" },
 *   async ({ key }) => ({ charge_id: `ch_${key}` }),
 * );
 * await idempotency.close(); // closes the store too
 * ```
 */
export class PostgresStore extends KeyvBackedStore {
  /** Where the records live (validated identifiers). */
  readonly tableName: TableName;
  readonly #client: RawClient;
  readonly #ops: PostgresAtomicOps;

  constructor(options: PostgresStoreOptions) {
    if (!options || (typeof options.uri !== "string" && !options.pool)) {
      throw new IdempotencyStoreError("[store-postgres] pass options.uri (postgres://…) or options.pool");
    }
    const tableName: TableName = {
      schema: validateIdentifier("schema", options.schema ?? DEFAULTS.schema),
      table: validateIdentifier("table", options.table ?? DEFAULTS.table),
    };
    const namespace = validateNamespace(options.namespace ?? DEFAULTS.namespace);
    const client = new RawClient({
      uri: options.uri,
      pool: options.pool,
      poolSize: positiveInt("poolSize", options.poolSize, DEFAULTS.poolSize, 1),
      applicationName: "agent-idempotency",
    });
    const schedule = {
      every: positiveInt("purgeEvery", options.purgeEvery, DEFAULTS.purgeEvery, 0),
      batch: positiveInt("purgeBatch", options.purgeBatch, DEFAULTS.purgeBatch, 1),
    };
    // `self` is bound after super(): the adapter and the ops only call it on first use.
    let self: PostgresStore | undefined;
    const ready = () => self!.setup();
    const ops = postgresAtomicOps(client, tableName, `${namespace}:`, schedule, async () => {
      if (options.create === false) await requireTable(client, tableName, "store");
      else await migrate(client, tableName, STORE_MIGRATIONS);
    });
    // throwOnErrors: Keyv would otherwise turn a failed read into `undefined` (a silent miss).
    const keyv = new Keyv(createKeyvAdapter(client, tableName, ready), { namespace, throwOnErrors: true });
    super({ keyv, atomic: ops, name: "store-postgres" });
    self = this;
    this.tableName = tableName;
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
    return { store: "store-postgres", schema: this.tableName.schema, table: this.tableName.table, namespace: this.keyv.namespace };
  }
}
