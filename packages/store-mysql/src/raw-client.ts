/**
 * The connection pool behind a store, and the only file that touches `@keyv/mysql` internals.
 *
 * Pinned: `@keyv/mysql` 2.x (2.1), `mysql2` 3. What 2.1 does that we work around here:
 * - its constructor opens a connection and runs `CREATE TABLE` at once (I/O in a constructor,
 *   and an unhandled rejection when the server is down), and
 * - it keeps ONE module-level pool for the last URI used; `disconnect()` ends that pool for every
 *   instance in the process.
 * So the adapter we hand to Keyv is built without its constructor: an object with the adapter's
 * prototype (its `get`, `set`, `delete`, `iterator`… stay Keyv's), its `opts`, and its public
 * `query` field pointed at this store's own pool; `disconnect()` does nothing, the store's
 * `close()` owns the pool. A new major that changes `opts`/`query` is what changes this file;
 * the conformance suite's Keyv round-trip case catches it.
 *
 * Affected rows: the atomic statements read `affectedRows` and need MySQL's `CLIENT_FOUND_ROWS`
 * flag (rows *matched*, not rows *changed*): without it a compare-and-set that writes the value
 * already stored (a heartbeat within the same millisecond) would report 0 and look lost. mysql2
 * sets the flag by default; our own pool sets it explicitly, and an injected pool without it is
 * refused.
 */
import EventEmitter from "node:events";
import { KeyvMysql } from "@keyv/mysql";
import mysql from "mysql2/promise";

/** One checked-out connection, the part of mysql2's `PoolConnection` we use. */
export interface MysqlPoolConnection {
  /** Runs one statement on this connection: `[rows or result header, fields]`, as mysql2 resolves it. */
  query(sql: string, values?: unknown): Promise<[unknown, unknown]>;
  /** Gives the connection back to the pool. */
  release(): void;
}

/**
 * The part of a `mysql2/promise` pool a store uses; `mysql.createPool()` from `mysql2/promise`
 * fits it. Pass your own to share it with the rest of your application: the store never ends it.
 */
export interface MysqlPool {
  /** Runs one statement on any pooled connection: `[rows or result header, fields]`, as mysql2 resolves it. */
  query(sql: string, values?: unknown): Promise<[unknown, unknown]>;
  /** Checks out one connection, for the migrations: the named lock they hold is per session. */
  getConnection(): Promise<MysqlPoolConnection>;
  /** Closes the pool; called only on a pool the store opened itself, never on an injected one. */
  end(): Promise<void>;
}

/** How a {@link RawClient} gets its pool. */
export interface RawClientOptions {
  uri?: string | undefined;
  /** An injected pool: used, never ended. */
  pool?: MysqlPool | undefined;
  /** Size of the pool this client opens itself (ignored with `pool`). */
  poolSize: number;
  /** TCP connect and handshake timeout of the pool this client opens. */
  connectTimeoutMs: number;
}

/** mysql2's client flag for "found rows" (`CLIENT_FOUND_ROWS`). */
const CLIENT_FOUND_ROWS = 0x2;

/** Runs one statement and returns its rows. */
export type Query = <R = Record<string, unknown>>(sql: string, values?: unknown[]) => Promise<R[]>;

/** The flags an injected pool's connections negotiate, when mysql2 lets us see them. */
function clientFlagsOf(pool: MysqlPool): number | undefined {
  const flags = (pool as { pool?: { config?: { connectionConfig?: { clientFlags?: unknown } } } }).pool?.config?.connectionConfig?.clientFlags;
  return typeof flags === "number" ? flags : undefined;
}

/**
 * A pool that is either this instance's own (opened lazily on the first query, ended by
 * {@link RawClient.end}) or injected (never ended).
 */
export class RawClient {
  readonly #options: RawClientOptions;
  #pool: MysqlPool | undefined;
  #ended = false;

  constructor(options: RawClientOptions) {
    this.#options = options;
    const flags = options.pool ? clientFlagsOf(options.pool) : undefined;
    if (flags !== undefined && (flags & CLIENT_FOUND_ROWS) === 0) {
      throw new Error("the injected pool turns CLIENT_FOUND_ROWS off (flags: '-FOUND_ROWS'); the store's compare-and-set needs it: remove that flag");
    }
  }

  /** True when this client opens its own pool (so `end()` ends it). */
  get ownsPool(): boolean {
    return !this.#options.pool;
  }

  /** The pool, opened on first use. */
  get pool(): MysqlPool {
    if (this.#ended) throw new Error("the pool was closed");
    this.#pool ??=
      this.#options.pool ??
      (mysql.createPool({
        uri: this.#options.uri,
        connectionLimit: this.#options.poolSize,
        flags: ["FOUND_ROWS"],
        connectTimeout: this.#options.connectTimeoutMs,
        charset: "utf8mb4",
        enableKeepAlive: true,
        // No idleTimeout/maxIdle: below connectionLimit they start a 1 s timer that never stops
        // (mysql2 3), which would keep the process alive even after close() of every connection.
      }) as unknown as MysqlPool);
    return this.#pool;
  }

  /** Runs a statement on any pooled connection and returns its rows. */
  readonly query: Query = async <R>(sql: string, values?: unknown[]) => {
    const [rows] = await this.pool.query(sql, values);
    return rows as R[];
  };

  /** Runs a data-changing statement and returns its affected (with CLIENT_FOUND_ROWS: matched) rows. */
  async write(sql: string, values: unknown[]): Promise<number> {
    const [result] = await this.pool.query(sql, values);
    return Number((result as { affectedRows?: number }).affectedRows ?? 0);
  }

  /** Runs `fn` on one connection (for session state such as a named lock), then releases it. */
  async withConnection<T>(fn: (query: Query) => Promise<T>): Promise<T> {
    const conn = await this.pool.getConnection();
    try {
      return await fn(async <R>(sql: string, values?: unknown[]) => (await conn.query(sql, values))[0] as R[]);
    } finally {
      conn.release();
    }
  }

  /** Ends the pool if this client opened it; forgets an injected one. Idempotent. */
  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#pool && this.ownsPool) await this.#pool.end();
  }
}

/**
 * A `KeyvMysql` (2.x) adapter on `client`'s pool, built without its constructor (which would
 * connect and issue `CREATE TABLE`; our migrations create a compatible table). Every statement
 * waits for `ready()` (the store's setup) first.
 */
export function createKeyvAdapter(client: RawClient, table: string, ready: () => Promise<void>): KeyvMysql {
  const adapter = Object.create(KeyvMysql.prototype) as KeyvMysql;
  EventEmitter.call(adapter);
  Object.assign(adapter, {
    ttlSupport: false,
    opts: { dialect: "mysql", table, keySize: 255 },
    // The adapter formats its SQL itself (mysql2.format) and passes a finished string.
    query: async (sql: string) => {
      await ready();
      return client.query(sql);
    },
    // 2.x would end the process-wide module pool here; the store's close() ends ours.
    disconnect: async () => undefined,
  });
  return adapter;
}
