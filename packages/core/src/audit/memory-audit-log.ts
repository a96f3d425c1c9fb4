import type { AuditEntry, AuditQuery, AuditSink } from "./entry.js";
import { inRange } from "./entry.js";
import { readAuditEntry } from "./read-entry.js";

/** Keeps entries in an array you can read (`log.entries`); for tests, notebooks and demos. */
export class MemoryAuditLog implements AuditSink {
  /** Every entry written, oldest first, as the engine wrote it (not copied). */
  readonly entries: AuditEntry[] = [];

  /** Appends `entry` to `entries`. */
  write(entry: AuditEntry): void {
    this.entries.push(entry);
  }

  /** The readable entries in `range`, oldest first; unreadable ones go to `onMalformed`. */
  async *query(range?: AuditQuery): AsyncIterable<AuditEntry> {
    for (const [i, e] of this.entries.entries()) {
      // Entries are whatever was written; one that is not readable is reported, not yielded.
      const read = readAuditEntry(e);
      if (read.entry === undefined) range?.onMalformed?.({ index: i + 1, reason: read.reason });
      else if (inRange(read.entry.ts, range)) yield read.entry;
    }
  }

  /** Empties the log. */
  clear(): void {
    this.entries.length = 0;
  }
}
