/**
 * {@link MysqlAuditLog}: the audit trail in an append-only MySQL / MariaDB table.
 *
 * `write()` only pushes onto a buffer, so a tool call never waits for the database. The buffer is
 * written `flushIntervalMs` (default 100 ms) after the first entry it holds, when it reaches
 * `batchSize`, on `flush()` and on `close()`, as one multi-row INSERT per batch. A failed flush
 * keeps its entries, in order, for the next attempt. The buffering is core's `AuditBatcher`; this
 * file holds the SQL.
 *
 * Why an interval, as in the Postgres and SQLite logs: written on the next tick, calls that run one
 * after the other commit one audit transaction each (a redo-log flush each, next to the store's
 * own). A SIGKILL loses the entries not committed yet: those of the calls that ended within the
 * last `flushIntervalMs` (plus the time one batch takes to commit); the store's records are not
 * affected. `flushIntervalMs: 0` writes on the next tick.
 *
 * `query()` streams oldest first in pages with keyset pagination on the `(ts, id)` index, so
 * memory stays at one page.
 */
import type { AuditEntry, AuditOutcome, AuditQuery, AuditSink } from "@agent-idempotency/core";
import { AuditBatcher } from "@agent-idempotency/core/store";
import { IdempotencyStoreError } from "@agent-idempotency/core";
import { quoteIdent, validateIdentifier } from "./identifiers.js";
import { AUDIT_MIGRATIONS, migrate, requireTable } from "./migrations.js";
import type { MysqlPool } from "./raw-client.js";
import { RawClient } from "./raw-client.js";

/** Options of {@link MysqlAuditLog}. */
export interface MysqlAuditLogOptions {
  /** `mysql://user:password@host:3306/database`. Required unless `pool` is given. */
  uri?: string;
  /** Table name (lower-case identifier). Default `"agent_idempotency_audit"`. */
  table?: string;
  /** A `mysql2/promise` pool you keep owning; never ended by `close()`. */
  pool?: MysqlPool;
  /** Rows per INSERT statement. Default 500. */
  batchSize?: number;
  /** Rows per page when reading. Default 1000. */
  pageSize?: number;
  /** `write()` throws once this many entries wait for the database (it is down). Default 100 000. */
  maxBuffered?: number;
  /**
   * Longest wait, in ms, between an entry and its write; the entries of that window share one
   * INSERT. A SIGKILL loses the entries of the calls that ended within it. Default 100; 0: the next tick.
   */
  flushIntervalMs?: number;
  /**
   * Create the table when missing, on setup. Default `true`. `false`: only check that it exists,
   * and fail naming it when it does not (read-only tools: the CLI's `audit`).
   */
  create?: boolean;
}

/** Default of {@link MysqlAuditLogOptions.flushIntervalMs}. */
const DEFAULT_AUDIT_FLUSH_INTERVAL_MS = 100;

const COLUMNS = [
  "ts", "action_type", "idempotency_key", "response_id", "outcome", "session_id", "tool_call_id", "fingerprint", "attempt", "duration_ms",
  "scope", "key_sent", "turn", "repeat_of", "repeat_decision",
] as const;
/** Optional text columns: absent in the entry is NULL in the row. */
const OPTIONAL_TEXT = ["idempotency_key", "response_id", "tool_call_id", "scope", "turn", "repeat_of", "repeat_decision"] as const;

interface Row {
  id: number;
  ts: number;
  action_type: string;
  idempotency_key: string | null;
  response_id: string | null;
  outcome: string;
  session_id: string;
  tool_call_id: string | null;
  fingerprint: string;
  attempt: number;
  duration_ms: number;
  scope: string | null;
  key_sent: number | boolean | null;
  turn: string | null;
  repeat_of: string | null;
  repeat_decision: string | null;
}

function toEntry(r: Row): AuditEntry {
  const e: AuditEntry = {
    ts: Number(r.ts),
    action_type: r.action_type,
    outcome: r.outcome as AuditOutcome,
    session_id: r.session_id,
    fingerprint: r.fingerprint,
    attempt: Number(r.attempt),
    duration_ms: Number(r.duration_ms),
  };
  for (const c of OPTIONAL_TEXT) if (r[c] !== null && r[c] !== undefined) (e as unknown as Record<string, unknown>)[c] = r[c];
  // BOOLEAN is TINYINT(1): 0 or 1 comes back.
  if (r.key_sent !== null && r.key_sent !== undefined) e.key_sent = Boolean(r.key_sent);
  return e;
}

/**
 * An {@link AuditSink} on a MySQL / MariaDB table, created on first use.
 *
 * @example
 * ```ts
 * import { createIdempotency } from "@agent-idempotency/core";
 * import { MysqlAuditLog, MysqlStore } from "@agent-idempotency/store-mysql";
 *
 * const uri = "mysql://root@127.0.0.1:3306/test";
 * const audit = new MysqlAuditLog({ uri });
 * const idempotency = createIdempotency({ store: new MysqlStore({ uri }), audit, tools: { send_email: {} } });
 * // … later: for await (const e of audit.query({ since: Date.now() - 7 * 86_400_000 })) console.log(e);
 * await idempotency.close(); // flushes and closes the audit log and the store
 * ```
 */
export class MysqlAuditLog implements AuditSink {
  /** Where the entries live (a validated identifier). */
  readonly table: string;
  readonly #client: RawClient;
  readonly #pageSize: number;
  readonly #batcher: AuditBatcher<AuditEntry>;
  #ready: Promise<void> | undefined;
  readonly #create: boolean;

  constructor(options: MysqlAuditLogOptions) {
    if (!options || (typeof options.uri !== "string" && !options.pool)) {
      throw new IdempotencyStoreError("[store-mysql] MysqlAuditLog: pass options.uri (mysql://…) or options.pool");
    }
    this.table = validateIdentifier("table", options.table ?? "agent_idempotency_audit");
    this.#client = new RawClient({ uri: options.uri?.replace(/^mariadb:/i, "mysql:"), pool: options.pool, poolSize: 2, connectTimeoutMs: 10_000 });
    this.#pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
    this.#create = options.create !== false;
    this.#batcher = new AuditBatcher({
      name: "[store-mysql]",
      target: `table ${this.table}`,
      batchSize: options.batchSize ?? 500,
      maxBuffered: options.maxBuffered ?? 100_000,
      flushIntervalMs: options.flushIntervalMs ?? DEFAULT_AUDIT_FLUSH_INTERVAL_MS,
      writeBatch: (batch) => this.#insert(batch),
    });
  }

  /** Entries written but not yet in the table. */
  get pending(): number {
    return this.#batcher.pending;
  }

  /** Creates the table and its index (with `create: false`, checks the table exists); idempotent, runs on first use. */
  setup(): Promise<void> {
    this.#ready ??= (this.#create ? migrate(this.#client, this.table, AUDIT_MIGRATIONS) : requireTable(this.#client, this.table, "audit log")).then(
      () => undefined,
      (cause: unknown) => {
        this.#ready = undefined; // try again once the server is back
        throw new IdempotencyStoreError("[store-mysql] audit setup failed", { cause });
      },
    );
    return this.#ready;
  }

  /** Buffers the entry; it reaches the table within `flushIntervalMs` (or on the next flush). */
  write(entry: AuditEntry): void {
    this.#batcher.push(entry);
  }

  /** Writes everything buffered so far, in order. Rejects (keeping the entries) if the database fails. */
  flush(): Promise<void> {
    return this.#batcher.flush();
  }

  /** Entries with `since <= ts < until`, oldest first, streamed page by page. */
  async *query(range: AuditQuery = {}): AsyncIterable<AuditEntry> {
    if (!this.#batcher.closed) await this.flush();
    await this.setup();
    const t = quoteIdent(this.table);
    const bounded = range.until !== undefined;
    const text = `SELECT id, ${COLUMNS.join(", ")} FROM ${t} WHERE (ts, id) > (?, ?)${bounded ? " AND ts < ?" : ""} ORDER BY ts, id LIMIT ?`;
    // Start just before the first row at `since`: ids start at 1.
    let cursor: [number, number] = [Math.floor(range.since ?? Number.MIN_SAFE_INTEGER), 0];
    for (;;) {
      const params: unknown[] = [...cursor];
      if (bounded) params.push(range.until);
      params.push(this.#pageSize);
      let rows: Row[];
      try {
        rows = await this.#client.query<Row>(text, params);
      } catch (cause) {
        throw new IdempotencyStoreError("[store-mysql] audit query failed", { cause });
      }
      for (const row of rows) yield toEntry(row);
      if (rows.length < this.#pageSize) return;
      const last = rows[rows.length - 1]!;
      cursor = [Number(last.ts), Number(last.id)];
    }
  }

  /** Flushes, then ends the pool this log opened (an injected pool stays open). Idempotent. */
  close(): Promise<void> {
    return this.#batcher.close(() => this.#client.end());
  }

  /** One batch as one INSERT; the batcher keeps it buffered when this throws. */
  async #insert(batch: readonly AuditEntry[]): Promise<void> {
    await this.setup();
    // `VALUES ?` with nested arrays: mysql2 expands them into (…), (…) rows, in order, so ids follow the write order.
    const rows = batch.map((e) => COLUMNS.map((c) => (c === "ts" ? Math.round(e.ts) : (e[c] ?? null))));
    try {
      await this.#client.query(`INSERT INTO ${quoteIdent(this.table)} (${COLUMNS.join(", ")}) VALUES ?`, [rows]);
    } catch (cause) {
      throw new IdempotencyStoreError(`[store-mysql] audit flush failed (${this.#batcher.pending} entries kept)`, { cause });
    }
  }
}
