/**
 * {@link BatchedPurge}: deleting expired records in bounded batches, on demand and in the
 * background, which the SQL stores share. A store gives it the one statement that differs
 * between databases, "delete at most one batch of expired rows under this prefix".
 *
 * Why batches: one `DELETE` of every expired row holds its locks (and on SQLite the file's write
 * lock) for as long as it takes; short ones let claims interleave with a purge.
 *
 * Why in the background every `every` writes: the table stays small without a full scan on the
 * claim path, and the write that triggers a batch returns at once. Never two batches at once: a
 * slow one is not joined by another. A failed batch is harmless (the rows stay until the next
 * one, or `purge()`) and must not surface as an unhandled rejection.
 */

/** When and how much {@link BatchedPurge} deletes. */
export interface PurgeSchedule {
  /** Run one purge batch in the background after this many writes; 0 turns it off. */
  every: number;
  /** Rows one batch deletes at most: a batch that deletes fewer means nothing expired is left. */
  batch: number;
}

/**
 * Deletes expired records batch by batch: all of them in `purge()`, one batch every
 * `schedule.every` writes in the background.
 *
 * @example
 * ```ts
 * import { BatchedPurge } from "@agent-idempotency/core/store";
 *
 * declare const db: { deleteExpired(prefix: string, before: number, limit: number): Promise<number> };
 *
 * const schedule = { every: 1000, batch: 500 };
 * const purger = new BatchedPurge((prefix, before) => db.deleteExpired(prefix, before, schedule.batch), schedule, "idempotency:");
 * // In the store's AtomicOps: call purger.wrote() after each successful insert or compare-and-set,
 * // answer purge(prefix, before) with purger.purge(prefix, before), await purger.idle() in close().
 * ```
 */
export class BatchedPurge {
  readonly #purgeBatch: (prefix: string, before: number) => Promise<number>;
  readonly #schedule: PurgeSchedule;
  readonly #prefix: string;
  #writes = 0;
  #running: Promise<void> | undefined;

  /**
   * @param purgeBatch - deletes at most `schedule.batch` records under `prefix` whose physical
   *   expiry is at or before `before`, and answers how many it deleted.
   * @param schedule - the background cadence and the batch size.
   * @param prefix - the key prefix the background batches clean (the store's `namespace:`).
   */
  constructor(purgeBatch: (prefix: string, before: number) => Promise<number>, schedule: PurgeSchedule, prefix: string) {
    this.#purgeBatch = purgeBatch;
    this.#schedule = schedule;
    this.#prefix = prefix;
  }

  /** Counts one write; every `schedule.every`-th starts a background batch unless one is running. */
  wrote(): void {
    if (this.#schedule.every <= 0 || ++this.#writes % this.#schedule.every !== 0 || this.#running) return;
    this.#running = this.#purgeBatch(this.#prefix, Date.now())
      .then(
        () => undefined,
        () => undefined, // best effort: the next batch (or `purge()`) tries again
      )
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** Deletes every record under `prefix` that expired at or before `before`, batch by batch; answers how many. */
  async purge(prefix: string, before: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.#purgeBatch(prefix, before);
      total += n;
      if (n < this.#schedule.batch) return total;
    }
  }

  /** Resolves when no background batch is running (before the connection closes). */
  async idle(): Promise<void> {
    await this.#running;
  }
}
