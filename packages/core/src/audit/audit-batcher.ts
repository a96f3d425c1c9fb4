/**
 * {@link AuditBatcher}: the write side of an audit sink on a database, which the SQL sinks share.
 * A sink gives it the one thing that differs between databases, how to write one batch, and keeps
 * its own SQL for creating the table and reading entries back.
 *
 * `push()` only appends to a buffer, so a tool call never waits for the database. The buffer is
 * written `flushIntervalMs` after the first entry it holds, at once when it reaches `batchSize`,
 * on `flush()` and on `close()`, one batch at a time and in write order.
 *
 * Why an interval: written on the next tick, calls that run one after the other commit one audit
 * transaction each (a WAL flush or fsync each, next to the store's own). Over an interval they
 * share one. What that costs, and the bound every sink built on this documents: a SIGKILL loses
 * the entries not committed yet, those of the calls that ended within the last `flushIntervalMs`
 * (plus the time one batch takes to commit). The store's records are not affected. An interval of
 * 0 writes on the next tick.
 *
 * Why nothing is lost on an orderly end: the pending timer is not unref'd, so a process that runs
 * out of work waits for it; SIGINT/SIGTERM flush the buffer first (`flushOnSignals`, registered on
 * the first entry, removed by `close()`).
 *
 * Why entries leave the buffer only once written: a failed batch stays at the front, in order, for
 * the next attempt, and `pending` and the `maxBuffered` bound count every entry not yet written.
 */
import { IdempotencyStoreError } from "../errors.js";
import { flushOnSignals } from "./flush-on-signals.js";

/** Options of {@link AuditBatcher}. `T` is what the sink buffers: the entry, or a row made from it. */
export interface AuditBatcherOptions<T> {
  /** Starts every error message: `"[store-postgres]"`. */
  name: string;
  /** Where the entries go, for the "buffer full" message: `table agent_idempotency_audit`. */
  target: string;
  /** Most entries per `writeBatch` call. At least 1. */
  batchSize: number;
  /** `push()` throws once this many entries wait (the database keeps failing). At least 1. */
  maxBuffered: number;
  /** Longest wait between an entry and its write, in ms; 0: the next tick. */
  flushIntervalMs: number;
  /**
   * Writes one batch (1 to `batchSize` entries, oldest first), all or nothing. A rejection keeps
   * the batch buffered and rejects the `flush()` that ran it with the same error.
   */
  writeBatch(batch: readonly T[]): Promise<void>;
}

/**
 * Buffers a sink's entries and writes them in batches, in order, one batch at a time.
 *
 * @example
 * ```ts
 * import { AuditBatcher } from "@agent-idempotency/core/store";
 * import type { AuditEntry } from "@agent-idempotency/core/store";
 *
 * declare const db: { insertRows(rows: readonly AuditEntry[]): Promise<void>; end(): Promise<void> };
 *
 * const batcher = new AuditBatcher<AuditEntry>({
 *   name: "[my-store]",
 *   target: "table audit",
 *   batchSize: 500,
 *   maxBuffered: 100_000,
 *   flushIntervalMs: 100,
 *   writeBatch: (rows) => db.insertRows(rows), // one multi-row INSERT
 * });
 * // The sink's write(entry) pushes, its flush() flushes, its close() ends the connection after:
 * const close = () => batcher.close(() => db.end());
 * ```
 */
export class AuditBatcher<T> {
  readonly #options: AuditBatcherOptions<T>;
  readonly #batchSize: number;
  readonly #maxBuffered: number;
  readonly #flushIntervalMs: number;
  #buffer: T[] = [];
  /** The pending flush: a timer for the interval, an immediate for a full batch (or an interval of 0). */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  /** Flushes run one after another, so batches land in write order. */
  #tail: Promise<void> = Promise.resolve();
  #closed = false;
  /** Set while signals should flush this buffer: from the first entry until close(). */
  #stopFlushingOnSignals: (() => void) | undefined;

  constructor(options: AuditBatcherOptions<T>) {
    this.#options = options;
    this.#batchSize = Math.max(1, Math.floor(options.batchSize));
    this.#maxBuffered = Math.max(1, Math.floor(options.maxBuffered));
    this.#flushIntervalMs = Math.max(0, Math.floor(options.flushIntervalMs));
  }

  /** Entries pushed but not yet written. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** True once `close()` was called: `push()` throws from then on. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Buffers one entry and schedules its write. Throws {@link IdempotencyStoreError} after
   * `close()`, and when `maxBuffered` entries wait already (the engine reports it to `onAuditError`).
   */
  push(item: T): void {
    const { name, target } = this.#options;
    if (this.#closed) throw new IdempotencyStoreError(`${name} audit write after close()`);
    // Bounded memory while the database is failing.
    if (this.#buffer.length >= this.#maxBuffered) {
      throw new IdempotencyStoreError(`${name} audit buffer full (${this.#maxBuffered} entries not yet written to ${target}): the database is not taking writes`);
    }
    this.#buffer.push(item);
    this.#stopFlushingOnSignals ??= flushOnSignals(this);
    // A full batch goes now; otherwise the first entry of a batch starts its interval.
    const full = this.#buffer.length >= this.#batchSize;
    if (this.#immediate !== undefined || (this.#timer !== undefined && !full)) return;
    this.#cancelScheduled();
    // A failed batch stays buffered; the next flush() or close() retries it and reports.
    const go = () => void this.flush().catch(() => undefined);
    if (full || this.#flushIntervalMs === 0) this.#immediate = setImmediate(go);
    else this.#timer = setTimeout(go, this.#flushIntervalMs);
  }

  /** Writes everything buffered so far, in order. Rejects (keeping the entries) if a batch fails. */
  flush(): Promise<void> {
    this.#cancelScheduled();
    const run = this.#tail.then(() => this.#drain());
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Refuses further entries, writes the buffer, stops flushing on signals, then calls `release`
   * (the sink's connection) whether the last flush failed or not. Rejects when the last flush
   * fails. Idempotent: a second call does nothing.
   */
  async close(release?: () => Promise<void> | void): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.flush();
    } finally {
      this.#stopFlushingOnSignals?.();
      this.#stopFlushingOnSignals = undefined;
      await release?.();
    }
  }

  #cancelScheduled(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = this.#immediate = undefined;
  }

  async #drain(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.slice(0, this.#batchSize);
      await this.#options.writeBatch(batch);
      this.#buffer.splice(0, batch.length);
    }
  }
}
