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
/** One of the {@link AuditOutcome} values, the `outcome` of an {@link AuditEntry}. */
export type AuditOutcome = (typeof AuditOutcome)[keyof typeof AuditOutcome];

/** One line of the audit log. */
export interface AuditEntry {
  /** When the call finished, epoch ms. */
  ts: number;
  /** The action (tool name). */
  action_type: string;
  /** Absent for unguarded calls whose key could not be derived. */
  idempotency_key?: string | undefined;
  /** The upstream's id for the effect (policy `responseId`). */
  response_id?: string | undefined;
  /** What happened to the call. */
  outcome: AuditOutcome;
  /** The call's `sessionId`, else its scope; `""` when it had neither. */
  session_id: string;
  /** The framework's id of this call (a retry gets a new one); logged only, never part of the key. */
  tool_call_id?: string | undefined;
  /** sha256 of the canonical (normalized) arguments; `""` when no key could be derived. */
  fingerprint: string;
  /** The claim's attempt: 1, +1 for each take-over of an expired lease; a replay reports the record's. */
  attempt: number;
  /** How long the call took, ms, by the engine's clock. */
  duration_ms: number;
  /**
   * The scope the key was derived in, as the engine received it: in LangGraph the turn
   * (`turn:["t-1","h-1"]`) or the thread (`thread:t-1`), a scope function's value, or the session.
   * Two executions of one call under different keys in the SAME scope mean a broken key; in
   * different turns, a deliberate repeat the report lists for review.
   */
  scope?: string | undefined;
  /**
   * True when the engine guarded the call and handed `idempotency_key` to the tool (to forward
   * upstream); false when the key, if any, was only derived for the log (the observe-only callback
   * handler) or the call ran with no key at all. Absent in entries of older versions.
   */
  key_sent?: boolean | undefined;
  /**
   * Which turn of the conversation the call belongs to, independent of message ids:
   * `"<n>:<digest>"`, the position of the latest human message among the human messages of the
   * state and a hash of its content. The same turn retried with a new message id keeps it; a new
   * turn changes it. Written by the LangGraph integrations (the node and the middleware).
   */
  turn?: string | undefined;
  /**
   * Live detection: the key under which the same action, arguments and session already executed
   * within its window when this call was about to execute.
   */
  repeat_of?: string | undefined;
  /** Live detection: what its hook decided; `deferred` when the hook deferred (a LangGraph interrupt). */
  repeat_decision?: RepeatDecisionLogged | undefined;
}

/** What live detection decided for a call, as the audit log records it. */
export type RepeatDecisionLogged = "proceed" | "refuse" | "deferred";

/** A record of the log that could not be read as an entry, for the report. */
export interface MalformedEntry {
  /** 1-based line of a JSON-lines file. */
  line?: number | undefined;
  /** 1-based position in the stream, when there is no line. */
  index?: number | undefined;
  /** What is wrong with it, without its content (it may hold personal data). */
  reason: string;
}

/** A time range, epoch ms, `since` inclusive and `until` exclusive. */
export interface AuditQuery {
  /** Entries with `ts` at or after this instant, epoch ms; default: from the first. */
  since?: number;
  /** Entries with `ts` before this instant, epoch ms (exclusive); default: to the last. */
  until?: number;
  /**
   * Called for each record the sink could not read as an entry (a line that is not JSON, a `ts`
   * that is not a time), which `query()` then skips. Sinks that cannot hold such records (the SQL
   * tables) never call it.
   */
  onMalformed?: ((problem: MalformedEntry) => void) | undefined;
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
  /** Flushes, then releases what the sink holds (a file, a connection); the engine's `close()` calls it. */
  close?(): Promise<void>;
}

/** True when `entry.ts` is inside `range`. */
export function inRange(ts: number, range: AuditQuery = {}): boolean {
  return (range.since === undefined || ts >= range.since) && (range.until === undefined || ts < range.until);
}
