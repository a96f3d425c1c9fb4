import type { AuditEntry, AuditQuery, AuditSink } from "./entry.js";
import { inRange } from "./entry.js";

/** Keeps entries in an array you can read (`log.entries`); for tests, notebooks and demos. */
export class MemoryAuditLog implements AuditSink {
  readonly entries: AuditEntry[] = [];

  write(entry: AuditEntry): void {
    this.entries.push(entry);
  }

  async *query(range?: AuditQuery): AsyncIterable<AuditEntry> {
    for (const e of this.entries) if (inRange(e.ts, range)) yield e;
  }

  /** Empties the log. */
  clear(): void {
    this.entries.length = 0;
  }
}
