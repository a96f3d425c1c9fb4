/**
 * {@link SqliteAuditLog}: the audit log as an append-only table in a SQLite file (usually the
 * store's own file). `write()` only pushes onto a buffer, so a tool call never waits for disk; the
 * buffer is written `flushIntervalMs` (default 100 ms) after the first entry it holds, when it
 * reaches `batchSize`, on `flush()` and on `close()`, each batch as ONE
 * `INSERT … SELECT … FROM json_each(?)` statement, hence one transaction and one fsync per batch.
 *
 * Why an interval: written on the next tick, a log next to a store whose calls run one after the
 * other committed one transaction (one fsync, and the file's write lock) per call, which nearly
 * tripled a fresh guarded call (BENCHMARKS.md). Batched over 100 ms, the same calls share one.
 *
 * What a crash loses: entries reach the file at most `flushIntervalMs` after their call ended
 * (plus the time one batch takes to commit); a SIGKILL loses the entries not committed yet, those
 * of the calls that ended within that time (RELIABILITY.md, confirmed by the crash suite). The
 * store's records are not affected. `flushIntervalMs: 0` writes on the next tick, as before.
 *
 * Shutdown: a pending flush keeps the event loop alive, so a process that ends by running out of
 * work writes everything; on SIGINT/SIGTERM the buffer is flushed before the process ends (see
 * flushOnSignals in core). `process.exit()` does not wait for async I/O: call `close()` first.
 *
 * The buffering is core's `AuditBatcher`; this file holds the SQL and checks each entry as it is
 * written.
 */
import type { AuditEntry, AuditOutcome, AuditQuery, AuditSink } from "@agent-idempotency/core";
import { AuditBatcher } from "@agent-idempotency/core/store";
import { IdempotencyStoreError } from "@agent-idempotency/core";
import { SqliteConnection } from "./connection.js";
import { applyMigrations, auditMigrations, requireTable } from "./migrations.js";
import { boolOption, countOption, pathOption, tableOption } from "./options.js";
import { retryOnBusy } from "./retry-busy.js";


/** Options of {@link SqliteAuditLog}. */
export interface SqliteAuditLogOptions {
  /** The database file (created on first use), or `":memory:"`. */
  path: string;
  /** Table name. Default `"agent_idempotency_audit"`. */
  table?: string;
  /** How long a write waits for another connection's lock. Default 5000. */
  busyTimeoutMs?: number;
  /** Entries per INSERT statement. Default 1000. */
  batchSize?: number;
  /** Rows `query()` reads per page (its memory bound). Default 1000. */
  pageSize?: number;
  /** `write()` throws once this many entries wait for a database that keeps failing. Default 100 000. */
  maxBuffered?: number;
  /**
   * Longest wait between a call's entry and its write, in ms; entries of that window share one
   * transaction. A SIGKILL loses the entries of the calls that ended within it. Default 100; 0:
   * the next tick.
   */
  flushIntervalMs?: number;
  /**
   * Create the file and the table when missing, on setup. Default `true`. `false`: open an
   * existing file and table only, and fail naming the missing one (read-only tools: the CLI).
   */
  create?: boolean;
}

/** Default of {@link SqliteAuditLogOptions.flushIntervalMs}. */
const DEFAULT_AUDIT_FLUSH_INTERVAL_MS = 100;

/** The columns, in the order the batches carry them (one JSON array per entry). */
const COLUMNS = [
  "ts", "action_type", "idempotency_key", "response_id", "outcome", "session_id", "tool_call_id", "fingerprint", "attempt", "duration_ms",
  "scope", "key_sent", "turn", "repeat_of", "repeat_decision",
] as const;
/** Optional text columns: absent in the entry is NULL in the row. */
const OPTIONAL_TEXT = new Set<string>(["idempotency_key", "response_id", "tool_call_id", "scope", "turn", "repeat_of", "repeat_decision"]);
type Row = { id: number } & { [C in (typeof COLUMNS)[number]]: string | number | null };
type Optional = "idempotency_key" | "response_id" | "tool_call_id" | "scope" | "turn" | "repeat_of" | "repeat_decision";

/**
 * An {@link AuditSink} on a SQLite table, created on first use and indexed by `ts`.
 *
 * @example
 * ```ts
 * import { createIdempotency } from "@agent-idempotency/core";
 * import { SqliteAuditLog, SqliteStore } from "@agent-idempotency/store-sqlite";
 *
 * const audit = new SqliteAuditLog({ path: "./idempotency.db" });
 * const idempotency = createIdempotency({ store: new SqliteStore({ path: "./idempotency.db" }), audit, tools: { send_email: {} } });
 * for await (const entry of audit.query({ since: Date.now() - 7 * 86_400_000 })) console.log(entry.outcome);
 * await audit.close();
 * ```
 */
export class SqliteAuditLog implements AuditSink {
  /** The database file (or `":memory:"`), as the `path` option gave it. */
  readonly path: string;
  /** The table the entries live in. Default `"agent_idempotency_audit"`. */
  readonly table: string;
  readonly #conn: SqliteConnection;
  readonly #pageSize: number;
  readonly #sql: { insert: string; first: string; next: string };
  /** Entries as checked tuples, in the order of COLUMNS. */
  readonly #batcher: AuditBatcher<unknown[]>;
  #ready: Promise<void> | undefined;
  readonly #create: boolean;

  constructor(options: SqliteAuditLogOptions) {
    const opts = (options ?? {}) as SqliteAuditLogOptions;
    this.path = pathOption(opts.path);
    this.table = tableOption("table", opts.table, "agent_idempotency_audit");
    this.#pageSize = Math.max(1, countOption("pageSize", opts.pageSize, 1000));
    this.#batcher = new AuditBatcher({
      name: "[store-sqlite]",
      target: this.table,
      batchSize: countOption("batchSize", opts.batchSize, 1000),
      maxBuffered: countOption("maxBuffered", opts.maxBuffered, 100_000),
      flushIntervalMs: countOption("flushIntervalMs", opts.flushIntervalMs, DEFAULT_AUDIT_FLUSH_INTERVAL_MS),
      writeBatch: (batch) => this.#insert(batch),
    });
    const busyTimeoutMs = opts.busyTimeoutMs === undefined ? undefined : countOption("busyTimeoutMs", opts.busyTimeoutMs, 0);
    this.#create = boolOption("create", opts.create, true);
    this.#conn = new SqliteConnection({ path: this.path, busyTimeoutMs, create: this.#create });
    const t = this.table;
    const cols = COLUMNS.join(", ");
    const range = "ts >= ? AND ts < ?";
    this.#sql = {
      insert: `INSERT INTO ${t}(${cols}) SELECT ${COLUMNS.map((_, i) => `json_extract(j.value, '$[${i}]')`).join(", ")}
        FROM json_each(?) AS j ORDER BY j.key`,
      // Keyset pages on (ts, id): each page is an index range scan, never an OFFSET rescan.
      first: `SELECT id, ${cols} FROM ${t} WHERE ${range} ORDER BY ts, id LIMIT ?`,
      next: `SELECT id, ${cols} FROM ${t} WHERE ${range} AND (ts, id) > (?, ?) ORDER BY ts, id LIMIT ?`,
    };
  }

  /** Creates the table and its index if missing. Idempotent; runs on first use. */
  setup(): Promise<void> {
    const migrate = () =>
      this.#create ? applyMigrations(this.#conn, `audit:${this.table}`, auditMigrations(this.table)) : requireTable(this.#conn, this.table, "audit log");
    this.#ready ??= retryOnBusy(migrate).catch((cause: unknown) => {
      this.#ready = undefined;
      throw this.#error("setup", cause);
    });
    return this.#ready;
  }

  /** Buffers one entry; it reaches the table within `flushIntervalMs` (or on the next flush). */
  write(entry: AuditEntry): void {
    if (this.#batcher.closed) throw new IdempotencyStoreError("[store-sqlite] audit write after close()");
    this.#batcher.push(toTuple(entry));
  }

  /** Writes everything buffered so far, in order. */
  flush(): Promise<void> {
    return this.#batcher.flush();
  }

  /** The entries with `since <= ts < until`, oldest first, read page by page. */
  async *query(range: AuditQuery = {}): AsyncIterable<AuditEntry> {
    await this.flush();
    if (!this.#create) await this.setup(); // names the missing table, instead of SQLite's "no such table"
    const since = range.since ?? Number.MIN_SAFE_INTEGER;
    const until = range.until ?? Number.MAX_SAFE_INTEGER;
    let last: Row | undefined;
    for (;;) {
      let rows: Row[];
      try {
        rows = last === undefined
          ? await this.#conn.all<Row>(this.#sql.first, [since, until, this.#pageSize])
          : await this.#conn.all<Row>(this.#sql.next, [since, until, last.ts, last.id, this.#pageSize]);
      } catch (cause) {
        throw this.#error("query", cause);
      }
      for (const row of rows) yield fromRow(row);
      if (rows.length < this.#pageSize) return;
      last = rows[rows.length - 1];
    }
  }

  /** Flushes, then closes the connection. Idempotent. */
  close(): Promise<void> {
    return this.#batcher.close(() => this.#conn.close());
  }

  /** Keeps the connection out of `JSON.stringify` and logs. */
  toJSON(): { auditLog: string; path: string; table: string } {
    return { auditLog: "SqliteAuditLog", path: this.path, table: this.table };
  }

  /** One batch as one INSERT (one transaction); the batcher keeps it buffered when this throws. */
  async #insert(batch: readonly unknown[][]): Promise<void> {
    await this.setup();
    try {
      await this.#conn.run(this.#sql.insert, [JSON.stringify(batch)]);
    } catch (cause) {
      throw this.#error(`flush of ${batch.length} entries`, cause);
    }
  }

  #error(op: string, cause: unknown): Error {
    if (cause instanceof IdempotencyStoreError) return cause;
    return new IdempotencyStoreError(`[store-sqlite] audit ${op} failed (table ${this.table})`, { cause });
  }
}

/** Checks the fields the table requires, so one bad entry cannot fail a whole batch later. */
function toTuple(e: AuditEntry): unknown[] {
  const bad = COLUMNS.filter((c) => {
    const v = (e as unknown as Record<string, unknown>)[c];
    if (c === "ts" || c === "attempt" || c === "duration_ms") return typeof v !== "number" || !Number.isFinite(v);
    if (OPTIONAL_TEXT.has(c)) return v !== undefined && v !== null && typeof v !== "string";
    if (c === "key_sent") return v !== undefined && v !== null && typeof v !== "boolean";
    return typeof v !== "string";
  });
  if (bad.length > 0) throw new IdempotencyStoreError(`[store-sqlite] audit entry has invalid ${bad.join(", ")}`);
  return COLUMNS.map((c) => (e as unknown as Record<string, unknown>)[c] ?? null);
}

function fromRow(row: Row): AuditEntry {
  const entry: AuditEntry = {
    ts: row.ts as number,
    action_type: row.action_type as string,
    outcome: row.outcome as AuditOutcome,
    session_id: row.session_id as string,
    fingerprint: row.fingerprint as string,
    attempt: row.attempt as number,
    duration_ms: row.duration_ms as number,
  };
  for (const c of OPTIONAL_TEXT) if (row[c as Optional] !== null) (entry as unknown as Record<string, unknown>)[c] = row[c as Optional];
  if (row.key_sent !== null) entry.key_sent = row.key_sent === 1;
  return entry;
}
