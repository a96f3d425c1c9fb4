/**
 * The audit entry: one per guarded tool call, written by the engine (and by the callback handler
 * for tools the engine does not guard). Field names are snake_case because this is the log
 * format people grep and load into other tools.
 */

/** What happened to one call. */
export const AuditOutcome = {
  /** The tool ran and its outcome was recorded. */
  Executed: "executed",
  /** A recorded outcome was returned; the tool did not run. */
  Replayed: "replayed",
  /** A previous holder died without an outcome; `reconcile` found the effect upstream and recorded it. */
  Recovered: "recovered",
  /** The tool failed (or a recorded failure was rethrown, or the call was refused). */
  Failed: "failed",
  /** Another call held the key and this one gave up waiting (or was told not to wait). */
  InProgress: "in_progress",
  /** Same key, different arguments: replayed anyway, or refused. */
  Mismatch: "mismatch",
  /** The tool ran, but its lease had been taken over, so its outcome was not recorded. */
  LeaseLost: "lease_lost",
  /** The tool is not guarded; it ran untouched. */
  Unguarded: "unguarded",
  /** Observe-only: the same call executed again within the window (callback handler). */
  Duplicate: "duplicate",
} as const;
export type AuditOutcome = (typeof AuditOutcome)[keyof typeof AuditOutcome];

/** One line of the audit log. */
export interface AuditEntry {
  /** When the call finished, epoch ms. */
  ts: number;
  action_type: string;
  /** Absent for unguarded calls whose key could not be derived. */
  idempotency_key?: string | undefined;
  /** The upstream's id for the effect (policy `responseId`). */
  response_id?: string | undefined;
  outcome: AuditOutcome;
  session_id: string;
  tool_call_id?: string | undefined;
  fingerprint: string;
  attempt: number;
  duration_ms: number;
}

/** A time range, epoch ms, `since` inclusive and `until` exclusive. */
export interface AuditQuery {
  since?: number;
  until?: number;
}

/**
 * Where audit entries go. A sink's failure never changes a call's outcome: the engine reports it
 * to `onAuditError` and carries on.
 */
export interface AuditSink {
  /** Appends one entry; should return quickly (buffer, then flush). */
  write(entry: AuditEntry): void | Promise<void>;
  /** The entries in a time range, oldest first, streamed. */
  query(range?: AuditQuery): AsyncIterable<AuditEntry>;
  /** Writes out anything buffered. */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

/** True when `entry.ts` is inside `range`. */
export function inRange(ts: number, range: AuditQuery = {}): boolean {
  return (range.since === undefined || ts >= range.since) && (range.until === undefined || ts < range.until);
}
