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
 */
import { appendFileSync, createReadStream, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import type { AuditEntry, AuditQuery, AuditSink } from "./entry.js";
import { inRange } from "./entry.js";
import { flushOnSignals } from "./flush-on-signals.js";
import { readAuditEntry } from "./read-entry.js";

/**
 * An audit sink on an append-only JSON-lines file: one entry per line, readable by `auditReport`,
 * `agent-idempotency audit --audit jsonl:PATH` and any tool that reads JSON lines.
 */
export class JsonlAuditLog implements AuditSink {
  readonly path: string;
  #buffer: AuditEntry[] = [];
  #scheduled = false;
  #onExit = () => this.#appendBuffered();
  #stopSignals: (() => void) | undefined;

  constructor(path: string) {
    this.path = path;
  }

  write(entry: AuditEntry): void {
    if (!this.#stopSignals) {
      // First write: make the folder and hook process exit and stop signals (reading needs neither).
      mkdirSync(dirname(this.path), { recursive: true });
      process.once("exit", this.#onExit);
      this.#stopSignals = flushOnSignals(this);
    }
    this.#buffer.push(entry);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        try {
          this.#appendBuffered();
        } catch {
          // keep the batch buffered; the next flush or the exit hook tries again
        }
      });
    }
  }

  /** Appends everything buffered so far, in order. */
  async flush(): Promise<void> {
    this.#appendBuffered();
  }

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

  async close(): Promise<void> {
    await this.flush();
    process.removeListener("exit", this.#onExit);
    this.#stopSignals?.();
    this.#stopSignals = undefined;
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
    appendFileSync(this.path, text, "utf8");
    this.#buffer = [];
  }
}
