/**
 * An append-only JSON-lines audit log. `write()` only pushes the entry onto a buffer, so a tool call
 * is never delayed by disk I/O (nor by printing the entry: lines are printed when the batch is
 * appended); the buffer is appended on the next tick, on `flush()`/`close()`, and when the process
 * exits. A SIGKILL therefore loses the entries written since the event loop last turned (the calls
 * that ended in the current tick), never more. Appends are synchronous on purpose: an async append still in flight when the
 * process exits would be lost or, written again by the exit hook, duplicated. One append of a
 * batch to the page cache costs microseconds. SIGINT/SIGTERM flush too (see flush-on-signals.ts).
 * Opening a log only to read it creates nothing and registers no hook. Reading accepts lines other
 * writers made (`read-entry.ts`): an ISO-8601 `ts` is normalized to epoch ms, and a line that is not
 * an entry is reported to `onMalformed` with its line number, never dropped in silence.
 *
 * A log that cannot write (its path is a folder, its folder read-only or full) says so, never in
 * silence and never by crashing the process: the first `write` opens the file for appending and
 * throws when it cannot, so the engine reports the entry to `onAuditError`; a background append
 * that fails keeps its batch and makes the next `write` throw; `flush` and `close` reject; and the
 * exit hook, which must not throw, prints one line to stderr with the number of entries lost.
 */
import { appendFileSync, closeSync, createReadStream, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import type { AuditEntry, AuditQuery, AuditSink } from "./entry.js";
import { inRange } from "./entry.js";
import { flushOnSignals } from "./flush-on-signals.js";
import { readAuditEntry } from "./read-entry.js";

/** Entries kept while appends fail; beyond it, `write` refuses new ones (each is reported). */
const MAX_BUFFERED = 10_000;

/**
 * An audit sink on an append-only JSON-lines file: one entry per line, readable by `auditReport`,
 * `agent-idempotency audit --audit jsonl:PATH` and any tool that reads JSON lines.
 */
export class JsonlAuditLog implements AuditSink {
  /** The file appended to; its folder is created on the first write. */
  readonly path: string;
  #buffer: AuditEntry[] = [];
  #scheduled = false;
  /** The last background append's failure, until an append succeeds. */
  #failure: unknown;
  #onExit = () => this.#appendAtExit();
  #stopSignals: (() => void) | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** Buffers `entry`; throws when the log cannot write (the engine reports it to `onAuditError`). */
  write(entry: AuditEntry): void {
    if (!this.#stopSignals) {
      // First write: make the folder and open the file for appending, so a path that cannot be
      // written fails this entry now (reading needs neither); then hook process exit and signals.
      try {
        mkdirSync(dirname(this.path), { recursive: true });
        closeSync(openSync(this.path, "a"));
      } catch (cause) {
        throw this.#error(cause, 1);
      }
      process.once("exit", this.#onExit);
      this.#stopSignals = flushOnSignals(this);
    }
    if (this.#failure !== undefined) {
      // The last append failed: try again now, so this write says whether the log works.
      if (this.#buffer.length >= MAX_BUFFERED) throw this.#error(this.#failure, this.#buffer.length + 1, "entry refused");
      this.#buffer.push(entry);
      this.#appendBuffered();
      return;
    }
    this.#buffer.push(entry);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        try {
          this.#appendBuffered();
        } catch {
          // kept buffered, and #failure set: the next write, flush or close reports it
        }
      });
    }
  }

  /** Appends everything buffered so far, in order; rejects when it cannot. */
  async flush(): Promise<void> {
    this.#appendBuffered();
  }

  /**
   * The entries in `range`, oldest first, read from the file after flushing the buffer; a line that
   * is not an entry (a torn last line after a crash) goes to `onMalformed` and is skipped.
   */
  async *query(range?: AuditQuery): AsyncIterable<AuditEntry> {
    await this.flush();
    if (!existsSync(this.path)) return;
    const lines = createInterface({ input: createReadStream(this.path, "utf8"), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        // A torn last line after a crash, or a line someone else wrote: reported, then skipped.
        range?.onMalformed?.({ line: n, reason: "not JSON" });
        continue;
      }
      const read = readAuditEntry(value);
      if (read.entry === undefined) range?.onMalformed?.({ line: n, reason: read.reason });
      else if (inRange(read.entry.ts, range)) yield read.entry;
    }
  }

  /** Flushes and unhooks; rejects, after unhooking, when the buffered entries cannot be written. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      process.removeListener("exit", this.#onExit);
      this.#stopSignals?.();
      this.#stopSignals = undefined;
    }
  }

  #appendBuffered(): void {
    this.#scheduled = false;
    if (this.#buffer.length === 0) return;
    let text = "";
    for (const entry of this.#buffer) {
      // Entries hold strings, numbers and booleans; one that cannot be printed (a BigInt put there
      // by hand) is dropped rather than left to block every later batch.
      try {
        text += `${JSON.stringify(entry)}\n`;
      } catch {
        // dropped
      }
    }
    try {
      appendFileSync(this.path, text, "utf8");
    } catch (cause) {
      this.#failure = cause;
      throw this.#error(cause, this.#buffer.length);
    }
    this.#buffer = [];
    this.#failure = undefined;
  }

  /** An exit hook that throws crashes the process with an uncaught error: report, never throw. */
  #appendAtExit(): void {
    try {
      this.#appendBuffered();
    } catch (error) {
      try {
        process.stderr.write(`${(error as Error).message}\n`);
      } catch {
        // nowhere left to say it
      }
    }
  }

  #error(cause: unknown, entries: number, what = entries === 1 ? "entry not written" : "entries not written"): Error {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new Error(`[agent-idempotency] JsonlAuditLog cannot write ${this.path}: ${reason} (${entries} ${what})`, { cause });
  }
}
