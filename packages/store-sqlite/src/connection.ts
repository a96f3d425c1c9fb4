/**
 * One sqlite3 connection, opened on first use. The store's Keyv adapter and its atomic statements
 * share it (see raw-client.ts), so a `:memory:` database is one database, and a file needs one
 * handle per store instead of two.
 *
 * A connection we open gets WAL journaling (readers never block the writer, and several processes
 * can share the file) and a busy timeout (a writer waits for another process's write lock instead
 * of failing with SQLITE_BUSY). A `Database` the caller injects is used as it is and never closed.
 *
 * Statements run ONE AT A TIME, each to completion, and a failed one is reset before the next
 * starts. sqlite3's default parallel mode does not do this, and that loses writes: a statement
 * that fails with SQLITE_BUSY stays active until its (queued) finalize, and while it is active the
 * writes of other statements on the same handle cannot commit; the reset then rolls them back,
 * although each had already reported success. Reproduced with two processes and a 1 ms busy
 * timeout: hundreds of "inserted" rows missing. tests/busy-timeout.test.ts guards this.
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
  /** `false`: open an existing file only (read-only tools); a missing one fails instead of being created. Default true. */
  create?: boolean | undefined;
}

/** Milliseconds a statement waits for another connection's lock before SQLITE_BUSY. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** Prepared statements kept per connection; our SQL is a fixed, small set. */
const MAX_CACHED_STATEMENTS = 64;

/** A lazily opened sqlite3 handle with promise-returning `all`/`run`; constructing one does no I/O. */
export class SqliteConnection {
  readonly path: string | undefined;
  readonly #injected: SqliteDatabase | undefined;
  readonly #busyTimeoutMs: number | undefined;
  readonly #create: boolean;
  #db: SqliteDatabase | undefined;
  #opening: Promise<SqliteDatabase> | undefined;
  #statements = new Map<string, sqlite3.Statement>();
  /** The statement queue: each runs after the previous one has fully finished. */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: SqliteConnectionOptions) {
    this.path = options.path;
    this.#injected = options.db;
    this.#busyTimeoutMs = options.busyTimeoutMs;
    this.#create = options.create !== false;
  }

  /** True once the handle is open (and not yet closed). */
  get isOpen(): boolean {
    return this.#db !== undefined && !this.#closed;
  }

  /** Opens the handle (once; a failed open is retried by the next call). */
  open(): Promise<SqliteDatabase> {
    return this.#closed ? Promise.reject(this.#closedError()) : this.#ensureOpen();
  }

  #closedError(): Error {
    return new Error(`sqlite connection to ${this.path ?? "an injected database"} is closed`);
  }

  #ensureOpen(): Promise<SqliteDatabase> {
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
  all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.#exclusive(sql, (stmt) => new Promise<T[]>((resolve, reject) => {
      stmt.all<T>([...params], (error, rows) => (error ? reject(error) : resolve(rows)));
    }));
  }

  /** Runs one statement (no RETURNING) and returns how many rows it changed. */
  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.#exclusive(sql, (stmt) => new Promise<number>((resolve, reject) => {
      stmt.run([...params], function (error) {
        if (error) reject(error);
        else resolve(this.changes);
      });
    }));
  }

  /** Closes a handle we opened; an injected one stays open (our statements are finalized). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    for (const stmt of this.#statements.values()) await finalize(stmt);
    this.#statements.clear();
    const opening = this.#opening;
    if (!opening || this.#injected) return;
    const db = await opening.catch(() => undefined);
    if (!db) return;
    await new Promise<void>((resolve, reject) => db.close((error) => (error ? reject(error) : resolve())));
  }

  #exclusive<T>(sql: string, fn: (stmt: sqlite3.Statement) => Promise<T>): Promise<T> {
    // Checked when queued, so statements queued before close() still run.
    if (this.#closed) return Promise.reject(this.#closedError());
    const run = this.#tail.then(async () => {
      const stmt = await this.#prepare(await this.#ensureOpen(), sql);
      try {
        return await fn(stmt);
      } catch (error) {
        // Halts the failed statement now, so its transaction ends before the next statement.
        await new Promise<void>((resolve) => stmt.reset(() => resolve()));
        throw error;
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #prepare(db: SqliteDatabase, sql: string): Promise<sqlite3.Statement> {
    const cached = this.#statements.get(sql);
    if (cached) return cached;
    const stmt = await new Promise<sqlite3.Statement>((resolve, reject) => {
      const s: sqlite3.Statement = db.prepare(sql, (error) => (error ? reject(error) : resolve(s)));
    });
    if (this.#statements.size >= MAX_CACHED_STATEMENTS) {
      const [oldest, old] = this.#statements.entries().next().value as [string, sqlite3.Statement];
      this.#statements.delete(oldest);
      await finalize(old);
    }
    this.#statements.set(sql, stmt);
    return stmt;
  }

  async #open(): Promise<SqliteDatabase> {
    const db = this.#injected ?? (await openDatabase(this.path ?? ":memory:", this.#create));
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

function openDatabase(path: string, create: boolean): Promise<SqliteDatabase> {
  const mode = sqlite3.OPEN_READWRITE | (create ? sqlite3.OPEN_CREATE : 0) | sqlite3.OPEN_FULLMUTEX;
  return new Promise((resolve, reject) => {
    // With a callback, sqlite3 reports open errors there instead of emitting an `error` event.
    const db: SqliteDatabase = new sqlite3.Database(path, mode, (error) => (error ? reject(withPath(error, path, create)) : resolve(db)));
  });
}

/**
 * sqlite3's open errors do not say which file (`SQLITE_CANTOPEN: unable to open database file`):
 * the same error, its message naming the path and the likely reason. `code` and `errno` are kept.
 */
function withPath(error: Error, path: string, create: boolean): Error {
  const code = (error as { code?: unknown }).code;
  const why =
    code !== "SQLITE_CANTOPEN" ? "" : create ? " (does its folder exist, and may this process write there?)" : " (no such file, or this process may not open it)";
  error.message = `${error.message}: ${JSON.stringify(path)}${why}`;
  return error;
}

function exec(db: SqliteDatabase, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.all(sql, [], (error) => (error ? reject(error) : resolve())));
}

function finalize(stmt: sqlite3.Statement): Promise<void> {
  return new Promise((resolve) => stmt.finalize(() => resolve()));
}
