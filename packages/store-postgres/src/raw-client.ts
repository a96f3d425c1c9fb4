/**
 * The connection pool behind a store, and the only file that touches `@keyv/postgres` internals.
 *
 * Pinned: `@keyv/postgres` 2.x (2.2), `pg` 8. What 2.2 does that we work around here:
 * - its constructor connects and runs `CREATE TABLE` at once (I/O in a constructor), and
 * - it keeps ONE module-level `pg.Pool` for the last URI used; `disconnect()` ends that pool for
 *   every instance in the process, and switching URIs drops a pool without ending it.
 * So the adapter we hand to Keyv is a subclass whose `connect()` (public in 2.x, called by the
 * constructor) returns a query function on this store's own pool instead, and whose
 * `disconnect()` does nothing: the store's `close()` owns the pool. keyv 6 / @keyv/postgres 3
 * makes `query` private and adds a `namespace` column; this file is what changes then.
 */
import { KeyvPostgres } from "@keyv/postgres";
import pg from "pg";

/** One query result, the part of `pg.QueryResult` we read. */
export interface PgResult<R = Record<string, unknown>> {
  /** The rows a statement returned, one object per row keyed by column name. */
  rows: R[];
  /** How many rows the statement returned or changed; null for a statement that reports none. */
  rowCount: number | null;
}

/** A checked-out connection (`pg.PoolClient`). */
export interface PgPoolClient {
  /** Runs one statement on this connection; `values` fill the `$1`, `$2`, … parameters. */
  query(text: string, values?: unknown[]): Promise<PgResult<any>>;
  /** Gives the connection back to the pool; with an error (or `true`) the pool destroys it instead, as after a failed ROLLBACK. */
  release(error?: Error | boolean): void;
  /** Listens for the server hanging up mid-transaction, which would otherwise crash the process with an unhandled `error` event. */
  on?(event: "error", listener: (error: Error) => void): unknown;
  /** Detaches that listener before the connection goes back to the pool. */
  removeListener?(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * The part of `pg.Pool` a store uses; a `pg.Pool` fits it. Pass your own to share one pool with
 * the rest of your application: the store never ends it.
 */
export interface PgPool {
  /** Runs one statement on any pooled connection; `values` fill the `$1`, `$2`, … parameters. */
  query(text: string, values?: unknown[]): Promise<PgResult<any>>;
  /** Checks out one connection, for the migrations' transaction. */
  connect(): Promise<PgPoolClient>;
  /**
   * Listens for errors of idle connections the server killed (a restart, `pg_terminate_backend`):
   * without a listener, pg's `error` event would crash the process.
   */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Detaches the store's listener when it closes: an injected pool lives on, and is never ended. */
  removeListener(event: "error", listener: (error: Error) => void): unknown;
}

/** Fails a connection attempt to an unreachable server after 10 s instead of the TCP default. */
class BoundedConnectClient extends pg.Client {
  constructor(config: pg.ClientConfig = {}) {
    super({ ...config, connectionTimeoutMillis: config.connectionTimeoutMillis ?? 10_000 });
  }
}

/** How a {@link RawClient} gets its pool. */
export interface RawClientOptions {
  uri?: string | undefined;
  /** An injected pool: used, never ended. */
  pool?: PgPool | undefined;
  /** Size of the pool this client opens itself (ignored with `pool`). */
  poolSize: number;
  /** Shown in `pg_stat_activity` unless the URI sets `application_name`. */
  applicationName: string;
}

/**
 * A pool that is either this instance's own (opened lazily on the first query, ended by
 * {@link RawClient.end}) or injected (never ended). Idle connections that the server kills
 * (restart, `pg_terminate_backend`) raise an `error` on the pool; pg then drops that client, and
 * without a listener the process would crash, so one is attached while the client is in use.
 */
export class RawClient {
  readonly #options: RawClientOptions;
  #pool: PgPool | undefined;
  #owned = false;
  #ended = false;
  /** The last error an idle connection reported, for diagnostics. */
  lastIdleError: Error | undefined;
  readonly #onIdleError = (error: Error) => {
    this.lastIdleError = error;
  };

  constructor(options: RawClientOptions) {
    this.#options = options;
  }

  /** The pool, opened on first use. */
  get pool(): PgPool {
    if (this.#ended) throw new Error("the pool was closed");
    if (!this.#pool) {
      if (this.#options.pool) {
        this.#pool = this.#options.pool;
      } else {
        this.#pool = new pg.Pool({
          connectionString: this.#options.uri,
          max: this.#options.poolSize,
          application_name: this.#options.applicationName,
          // The pool's own connectionTimeoutMillis would also time out calls that merely wait in
          // its queue for a free connection (a burst of claims); bound only the connect itself.
          Client: BoundedConnectClient,
          keepAlive: true,
          idleTimeoutMillis: 30_000,
          // A script that forgets close() can still exit once its connections are idle.
          allowExitOnIdle: true,
        }) as unknown as PgPool;
        this.#owned = true;
      }
      this.#pool.on("error", this.#onIdleError);
    }
    return this.#pool;
  }

  /** True when this client opened its own pool (so `end()` ends it). */
  get ownsPool(): boolean {
    return !this.#options.pool;
  }

  /** Runs one statement on any pooled connection. */
  async query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgResult<R>> {
    return this.pool.query(text, values);
  }

  /** Runs `fn` on one connection inside a transaction (for migrations under an advisory lock). */
  async transaction<T>(fn: (client: PgPoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client has no pool listener: a server that hangs up mid-transaction (PgBouncer
    // in statement mode after a BEGIN) would otherwise crash the process with an `error` event.
    const onError = (e: Error) => (broken = e);
    client.on?.("error", onError);
    try {
      await client.query("BEGIN");
      const out = await fn(client);
      await client.query("COMMIT");
      return out;
    } catch (error) {
      await client.query("ROLLBACK").catch((e: Error) => (broken = e));
      throw error;
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: destroy it, do not pool it.
      client.removeListener?.("error", onError);
      client.release(broken ?? false);
    }
  }

  /** Ends the pool if this client opened it; detaches from an injected one. Idempotent. */
  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    const pool = this.#pool;
    if (!pool) return;
    // An owned pool keeps its listener: pg-pool resolves end() as soon as it has asked each
    // connection to close, and one the server kills in the meantime (a restart, DROP DATABASE
    // WITH (FORCE)) would raise an error with nobody listening, crashing the process.
    if (this.#owned) await (pool as unknown as pg.Pool).end();
    else pool.removeListener("error", this.#onIdleError);
  }
}

/** Where the Keyv adapter sends its statements: our pool, after `setup()`. */
export type AdapterQuery = (sql: string, values?: unknown[]) => Promise<unknown[]>;

const QUERY = Symbol("agent-idempotency.query");

/**
 * `KeyvPostgres` (2.x) running on a store's pool. Keyv reads and writes exactly the rows the
 * store writes, with the same table and encoding.
 */
class PooledKeyvPostgres extends KeyvPostgres {
  // Called by the 2.x constructor before subclass fields exist, hence the symbol in `opts`.
  override async connect(): Promise<(sql: string, values?: any) => Promise<any[]>> {
    return (this.opts as unknown as { [QUERY]: AdapterQuery })[QUERY] as (sql: string, values?: any) => Promise<any[]>;
  }

  // The store's close() ends the pool; 2.x would end the process-wide module pool here.
  override async disconnect(): Promise<void> {}
}

/**
 * A `KeyvPostgres` adapter on `client`'s pool. Its constructor issues `CREATE TABLE`; we skip
 * that statement because our migrations create the same table, so constructing it does no I/O.
 * Every other statement waits for `ready()` (the store's setup) first.
 */
export function createKeyvAdapter(client: RawClient, name: { schema: string; table: string }, ready: () => Promise<void>): KeyvPostgres {
  const query: AdapterQuery = async (sql, values) => {
    if (/^\s*CREATE\b/i.test(sql)) return [];
    await ready();
    return (await client.query(sql, values)).rows;
  };
  // Options are lower-case non-reserved identifiers (see identifiers.ts): safe unquoted in 2.x SQL.
  return new PooledKeyvPostgres({ table: name.table, schema: name.schema, [QUERY]: query } as never);
}
