/**
 * An append-only JSON-lines audit log. `write()` only pushes onto a buffer, so a tool call is never
 * delayed by disk I/O; the buffer is appended on the next tick, on `flush()`/`close()`, and when
 * the process exits. Appends are synchronous on purpose: an async append still in flight when the
 * process exits would be lost or, written again by the exit hook, duplicated. One append of a
 * batch to the page cache costs microseconds. SIGINT/SIGTERM flush too (see flush-on-signals.ts).
 * Opening a log only to read it creates nothing and registers no hook.
 */
import { appendFileSync, createReadStream, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import type { AuditEntry, AuditQuery, AuditSink } from "./entry.js";
import { inRange } from "./entry.js";
import { flushOnSignals } from "./flush-on-signals.js";

export class JsonlAuditLog implements AuditSink {
  readonly path: string;
  #buffer: string[] = [];
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
    this.#buffer.push(`${JSON.stringify(entry)}\n`);
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
    for await (const line of lines) {
      if (line.trim() === "") continue;
      let entry: AuditEntry;
      try {
        entry = JSON.parse(line) as AuditEntry;
      } catch {
        continue; // a torn last line after a crash: skip it, keep reading
      }
      if (inRange(entry.ts, range)) yield entry;
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
    appendFileSync(this.path, this.#buffer.join(""), "utf8");
    this.#buffer = [];
  }
}
