/**
 * One sqlite3 connection, opened on first use. The store's Keyv adapter and its atomic statements
 * share it (see raw-client.ts), so a `:memory:` database is one database, and a file needs one
 * handle per store instead of two.
 *
 * A connection we open gets WAL journaling (readers never block the writer, and several processes
 * can share the file) and a busy timeout (a writer waits for another process's write lock instead
 * of failing with SQLITE_BUSY). A `Database` the caller injects is used as it is and never closed.
 */
import sqlite3 from "sqlite3";

/** The sqlite3 5 `Database` class. */
export type SqliteDatabase = sqlite3.Database;

/** Options of {@link SqliteConnection}. */
export interface SqliteConnectionOptions {
  /** File to open (or `":memory:"`); ignored when `db` is given. */
  path?: string | undefined;
  /** A handle the caller opened and keeps owning. */
  db?: SqliteDatabase | undefined;
  /** Applied to handles we open; applied to an injected handle only when set explicitly. */
  busyTimeoutMs?: number | undefined;
}

/** Milliseconds a statement waits for another connection's lock before SQLITE_BUSY. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * A lazily opened sqlite3 handle with promise-returning `all`/`run`: constructing one does no I/O.
 */
export class SqliteConnection {
  readonly path: string | undefined;
  readonly #injected: SqliteDatabase | undefined;
  readonly #busyTimeoutMs: number | undefined;
  #db: SqliteDatabase | undefined;
  #opening: Promise<SqliteDatabase> | undefined;
  #closed = false;

  constructor(options: SqliteConnectionOptions) {
    this.path = options.path;
    this.#injected = options.db;
    this.#busyTimeoutMs = options.busyTimeoutMs;
  }

  /** True once the handle is open (and not yet closed). */
  get isOpen(): boolean {
    return this.#db !== undefined && !this.#closed;
  }

  /** Opens the handle (once; a failed open is retried by the next call). */
  open(): Promise<SqliteDatabase> {
    if (this.#closed) return Promise.reject(new Error(`sqlite connection to ${this.path ?? "an injected database"} is closed`));
    this.#opening ??= this.#open().then(
      (db) => (this.#db = db),
      (error: unknown) => {
        this.#opening = undefined;
        throw error;
      },
    );
    return this.#opening;
  }

  /** All rows of one statement. `params` are bound positionally. */
  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const db = await this.open();
    return new Promise<T[]>((resolve, reject) => {
      db.all<T>(sql, params, (error, rows) => (error ? reject(error) : resolve(rows)));
    });
  }

  /** Runs one statement and returns how many rows it changed. */
  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const db = await this.open();
    return new Promise<number>((resolve, reject) => {
      db.run(sql, params, function (error) {
        if (error) reject(error);
        else resolve(this.changes);
      });
    });
  }

  /** Closes a handle we opened; an injected one stays open. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opening = this.#opening;
    if (!opening || this.#injected) return;
    const db = await opening.catch(() => undefined);
    if (!db) return;
    await new Promise<void>((resolve, reject) => db.close((error) => (error ? reject(error) : resolve())));
  }

  async #open(): Promise<SqliteDatabase> {
    const db = this.#injected ?? (await openDatabase(this.path ?? ":memory:"));
    try {
      const timeout = this.#injected ? this.#busyTimeoutMs : (this.#busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
      // Before the first statement: switching to WAL takes a lock another process may hold.
      if (timeout !== undefined) db.configure("busyTimeout", timeout);
      // WAL persists in the file; `:memory:` answers "memory" and stays as it is.
      if (!this.#injected) await exec(db, "PRAGMA journal_mode = WAL");
      return db;
    } catch (error) {
      if (!this.#injected) db.close(() => undefined);
      throw error;
    }
  }
}

function openDatabase(path: string): Promise<SqliteDatabase> {
  return new Promise((resolve, reject) => {
    // With a callback, sqlite3 reports open errors there instead of emitting an `error` event.
    const db: SqliteDatabase = new sqlite3.Database(path, (error) => (error ? reject(error) : resolve(db)));
  });
}

function exec(db: SqliteDatabase, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.all(sql, [], (error) => (error ? reject(error) : resolve())));
}
