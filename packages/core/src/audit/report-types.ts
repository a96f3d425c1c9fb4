/**
 * What {@link auditReport} returns: counts, the flags (idempotency broke), the repeats listed for
 * review (probably deliberate), the blind spots (what the flags cannot see), and what could not be
 * read. Field names are snake_case where they mirror the log, as in `AuditEntry`.
 */
import type { AuditOutcome, MalformedEntry } from "./entry.js";
import type { MalformedTally } from "./read-entry.js";

/** Counts of each outcome. */
export type OutcomeCounts = Record<AuditOutcome, number>;

/**
 * Flag 1: one key produced several response ids, so the side effect ran more than once under it.
 * `cause`: `key_ignored_or_record_lost` when the key was sent to the tool every time (the upstream
 * ignored it, or the record expired, was purged or taken over before the retry); `no_guard` when no
 * key was sent (an observe-only callback handler's derived key): it ran twice with no guard.
 */
export interface KeyWithSeveralResponses {
  kind: "one_key_several_response_ids";
  action_type: string;
  idempotency_key: string;
  response_ids: string[];
  sessions: string[];
  first_ts: number;
  last_ts: number;
  /** True when every entry under the key says the key was sent to the tool. */
  key_sent: boolean;
  cause: "key_ignored_or_record_lost" | "no_guard";
}

/**
 * Flag 2: the same action with the same arguments in the same session executed under several keys
 * within the window, where that cannot be a new turn. `cause`:
 * - `key_changed_in_scope`: same scope, different keys (an explicit key regenerated on retry, an
 *   identity function that is not deterministic, a policy changed between the runs);
 * - `turn_id_changed`: different turn scopes that are the same turn (same position, same human
 *   message): the retry's human message got a new id;
 * - `scope_unknown`: the entries carry no scope (an older writer), so a new turn cannot be ruled out.
 */
export interface ActionWithSeveralKeys {
  kind: "one_action_several_keys";
  action_type: string;
  fingerprint: string;
  session_id: string;
  keys: string[];
  executions: number;
  first_ts: number;
  last_ts: number;
  /** The scopes the flagged executions ran in. */
  scopes: string[];
  cause: "key_changed_in_scope" | "turn_id_changed" | "scope_unknown";
}

/** A flag: idempotency broke. */
export type AuditFlag = KeyWithSeveralResponses | ActionWithSeveralKeys;

/** One execution of a repeat listed for review. */
export interface RepeatExecution {
  ts: number;
  idempotency_key: string;
  /** The turn (scope) it ran in. */
  scope: string;
  turn?: string | undefined;
}

/**
 * The same call (action, arguments, session) executed again in a new turn within the window: by
 * the turn scope a new logical action, usually deliberate ("send it again"). Listed for a person to
 * check, not flagged (`--strict` makes it fail the run).
 */
export interface RepeatInNewTurn {
  kind: "repeated_in_new_turn";
  action_type: string;
  fingerprint: string;
  session_id: string;
  /** The executions, oldest first, each with its turn. */
  executions: RepeatExecution[];
  first_ts: number;
  last_ts: number;
}

/** An unguarded action that ran more than once with the same arguments in one session. */
export interface UnguardedRepeats {
  action_type: string;
  /** How many (session, arguments) groups ran more than once. */
  groups: number;
  /** Executions in those groups. */
  executions: number;
  /** The group that ran most often. */
  worst: { session_id: string; fingerprint: string; executions: number; first_ts: number; last_ts: number };
}

/** What the flags cannot see. */
export interface BlindSpots {
  /** Guarded actions that executed but logged no response id at all: flag 1 is blind to them. */
  no_response_ids: { action_type: string; executions: number }[];
  /** Unguarded actions that repeated (same arguments, same session, within the key horizon). */
  unguarded_repeats: UnguardedRepeats[];
}

/** Live detection as the log records it. */
export interface LiveDetectionCounts {
  /** Calls that found the same call executed under another key within the window. */
  detected: number;
  proceeded: number;
  refused: number;
  deferred: number;
}

/** What `auditReport` finds in a log: counts per action, the two flags, repeats to review, blind spots. */
export interface AuditReport {
  since: number | undefined;
  until: number | undefined;
  windowMs: number;
  /** Readable entries in the range. */
  entries: number;
  /** First and last entry time seen. */
  first_ts: number | undefined;
  last_ts: number | undefined;
  totals: OutcomeCounts;
  /** Per action; `unknown` counts entries whose outcome this version does not know. */
  actions: { action_type: string; counts: OutcomeCounts; unknown: number; total: number }[];
  /** Executed and replayed calls per UTC day (`YYYY-MM-DD`), for charts. */
  days: { day: string; executed: number; replayed: number }[];
  flags: AuditFlag[];
  review: RepeatInNewTurn[];
  blind_spots: BlindSpots;
  /** Outcomes this version does not know, by name, with their counts (also in `actions[].unknown`). */
  unknown_outcomes: Record<string, number>;
  /** Records that could not be read (the sink's and the report's own findings). */
  malformed: { count: number; first: MalformedEntry[] };
  live: LiveDetectionCounts;
}

/** Options of `auditReport(entries, options)`: the time range, the window, what to count as malformed. */
export interface AuditReportOptions {
  since?: number;
  until?: number;
  /** Two executions of one logical action this close together are suspicious. Default 60 s. */
  windowMs?: number;
  /**
   * How long a key's first response id is remembered (default 48 h). Records replay for `ttlMs`
   * (24 h by default); after that a key is free again and a second execution under it is
   * expected, not a broken key. Forgetting older keys keeps memory bounded by the keys of that
   * horizon, not of the whole log. Entries must come in time order (every sink's `query()` does).
   * Unguarded repeats are looked for within the same horizon.
   */
  keyHorizonMs?: number;
  /**
   * Where records that cannot be read are counted: pass the tally the sink's `query({ onMalformed })`
   * also adds to, so the report shows both. Default: a tally of its own.
   */
  malformed?: MalformedTally;
}
