/**
 * {@link PostgresAuditLog}: the audit trail in an append-only Postgres table.
 *
 * `write()` only pushes onto a buffer, so a tool call never waits for the database. The buffer is
 * written `flushIntervalMs` (default 100 ms) after the first entry it holds, when it reaches
 * `batchSize`, on `flush()` and on `close()`, as one multi-row INSERT per batch (`unnest` of one
 * array per column: fifteen parameters whatever the batch size, far from the 65 535 parameter
 * limit). A failed flush keeps its entries, in order, for the next attempt. The buffering is
 * core's `AuditBatcher`; this file holds the SQL.
 *
 * Why an interval: written on the next tick, calls that run one after the other committed one
 * audit transaction each (a WAL flush each, next to the store's own). A SIGKILL loses the entries
 * not committed yet: those of the calls that ended within the last `flushIntervalMs` (plus the time
 * one batch takes to commit); the store's records are not affected. `flushIntervalMs: 0` writes
 * on the next tick, as before.
 *
 * `query()` streams oldest first in pages with keyset pagination on the `(ts, id)` index, so
 * memory stays at one page however large the table is.
 */
import type { AuditEntry, AuditOutcome, AuditQuery, AuditSink } from "@agent-idempotency/core";
import { AuditBatcher } from "@agent-idempotency/core/store";
import { IdempotencyStoreError } from "@agent-idempotency/core";
import type { TableName } from "./identifiers.js";
import { qualified, validateIdentifier } from "./identifiers.js";
import { AUDIT_MIGRATIONS, migrate, requireTable } from "./migrations.js";
import type { PgPool } from "./raw-client.js";
import { RawClient } from "./raw-client.js";

/** Options of {@link PostgresAuditLog}. */
export interface PostgresAuditLogOptions {
  /** `postgres://user@host:5432/db`. Required unless `pool` is given. */
  uri?: string;
  /** Table name (lower-case identifier). Default `"agent_idempotency_audit"`. */
  table?: string;
  /** Schema, created if missing. Default `"public"`. */
  schema?: string;
  /** A `pg.Pool` you keep owning; never ended by `close()`. */
  pool?: PgPool;
  /** Rows per INSERT statement. Default 1000. */
  batchSize?: number;
  /** Rows per page when reading. Default 1000. */
  pageSize?: number;
  /** `write()` throws once this many entries wait for the database (it is down). Default 100 000. */
  maxBuffered?: number;
  /**
   * Longest wait between a call's entry and its write, in ms; entries of that window share one
   * INSERT. A SIGKILL loses the entries of the calls that ended within it. Default 100; 0: the next tick.
   */
  flushIntervalMs?: number;
  /**
   * Create the table (and schema) when missing, on setup. Default `true`. `false`: only check that
   * it exists, and fail naming it when it does not (read-only tools: the CLI's `audit`).
   */
  create?: boolean;
}

/** Default of {@link PostgresAuditLogOptions.flushIntervalMs}. */
const DEFAULT_AUDIT_FLUSH_INTERVAL_MS = 100;

const COLUMNS =
  "ts, action_type, idempotency_key, response_id, outcome, session_id, tool_call_id, fingerprint, attempt, duration_ms, " +
  "scope, key_sent, turn, repeat_of, repeat_decision";
/** Optional text columns: absent in the entry is NULL in the row. */
const OPTIONAL_TEXT = ["idempotency_key", "response_id", "tool_call_id", "scope", "turn", "repeat_of", "repeat_decision"] as const;

interface Row {
  id: string;
  ts: string;
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
  key_sent: boolean | null;
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
    attempt: r.attempt,
    duration_ms: r.duration_ms,
  };
  for (const c of OPTIONAL_TEXT) if (r[c] !== null) (e as unknown as Record<string, unknown>)[c] = r[c];
  if (r.key_sent !== null) e.key_sent = r.key_sent;
  return e;
}

/**
 * An {@link AuditSink} on a Postgres table, created on first use.
 *
 * @example
 * ```ts
 * import { createIdempotency } from "@agent-idempotency/core";
 * import { PostgresAuditLog, PostgresStore } from "@agent-idempotency/store-postgres";
 *
 * const uri = "postgres://postgres@127.0.0.1:5432/test";
 * const audit = new PostgresAuditLog({ uri });
 * const idempotency = createIdempotency({ store: new PostgresStore({ uri }), audit, tools: { send_email: {} } });
 * // … later: for await (const e of audit.query({ since: Date.now() - 7 * 86_400_000 })) console.log(e);
 * await idempotency.close(); // flushes and closes the audit log and the store
 * ```
 */
export class PostgresAuditLog implements AuditSink {
  /** Where the entries live (validated identifiers). */
  readonly tableName: TableName;
  readonly #client: RawClient;
  readonly #pageSize: number;
  readonly #batcher: AuditBatcher<AuditEntry>;
  #ready: Promise<void> | undefined;
  readonly #create: boolean;

  constructor(options: PostgresAuditLogOptions) {
    if (!options || (typeof options.uri !== "string" && !options.pool)) {
      throw new IdempotencyStoreError("[store-postgres] PostgresAuditLog: pass options.uri (postgres://…) or options.pool");
    }
    this.tableName = {
      schema: validateIdentifier("schema", options.schema ?? "public"),
      table: validateIdentifier("table", options.table ?? "agent_idempotency_audit"),
    };
    this.#client = new RawClient({ uri: options.uri, pool: options.pool, poolSize: 2, applicationName: "agent-idempotency-audit" });
    this.#pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
    this.#create = options.create !== false;
    this.#batcher = new AuditBatcher({
      name: "[store-postgres]",
      target: `table ${qualified(this.tableName)}`,
      batchSize: options.batchSize ?? 1000,
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
    this.#ready ??= (this.#create ? migrate(this.#client, this.tableName, AUDIT_MIGRATIONS) : requireTable(this.#client, this.tableName, "audit log")).then(
      () => undefined,
      (cause: unknown) => {
        this.#ready = undefined; // try again once the server is back
        throw new IdempotencyStoreError("[store-postgres] audit setup failed", { cause });
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
    const t = qualified(this.tableName);
    const bounded = range.until !== undefined;
    const text =
      `SELECT id, ${COLUMNS} FROM ${t} WHERE (ts, id) > ($1::bigint, $2::bigint)` +
      `${bounded ? " AND ts < $4::bigint" : ""} ORDER BY ts, id LIMIT $3`;
    // Start just before the first row at `since`: ids start at 1.
    let cursor: [string, string] = [String(range.since ?? Number.MIN_SAFE_INTEGER), "0"];
    for (;;) {
      const params: unknown[] = [...cursor, this.#pageSize];
      if (bounded) params.push(range.until);
      let rows: Row[];
      try {
        rows = (await this.#client.query<Row>(text, params)).rows;
      } catch (cause) {
        throw new IdempotencyStoreError("[store-postgres] audit query failed", { cause });
      }
      for (const row of rows) yield toEntry(row);
      if (rows.length < this.#pageSize) return;
      const last = rows[rows.length - 1]!;
      cursor = [last.ts, last.id];
    }
  }

  /** Flushes, then ends the pool this log opened (an injected pool stays open). Idempotent. */
  close(): Promise<void> {
    return this.#batcher.close(() => this.#client.end());
  }

  /** One batch as one INSERT; the batcher keeps it buffered when this throws. */
  async #insert(batch: readonly AuditEntry[]): Promise<void> {
    await this.setup();
    const t = qualified(this.tableName);
    const text =
      `INSERT INTO ${t} (${COLUMNS}) SELECT ${COLUMNS} FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], ` +
      "$5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::float8[], $11::text[], $12::boolean[], $13::text[], " +
      "$14::text[], $15::text[]) WITH ORDINALITY " +
      `AS u(${COLUMNS}, ord) ORDER BY ord`;
    const col = <K extends keyof AuditEntry>(k: K) => batch.map((e) => e[k] ?? null);
    try {
      await this.#client.query(text, [
        batch.map((e) => Math.round(e.ts)),
        col("action_type"),
        col("idempotency_key"),
        col("response_id"),
        col("outcome"),
        col("session_id"),
        col("tool_call_id"),
        col("fingerprint"),
        col("attempt"),
        col("duration_ms"),
        col("scope"),
        col("key_sent"),
        col("turn"),
        col("repeat_of"),
        col("repeat_decision"),
      ]);
    } catch (cause) {
      throw new IdempotencyStoreError(`[store-postgres] audit flush failed (${this.#batcher.pending} entries kept)`, { cause });
    }
  }
}
