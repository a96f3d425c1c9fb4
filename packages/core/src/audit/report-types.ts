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
  /** Tells this flag apart from {@link ActionWithSeveralKeys}. */
  kind: "one_key_several_response_ids";
  /** The action (tool name). */
  action_type: string;
  /** The key under which the effect ran more than once. */
  idempotency_key: string;
  /** The distinct response ids logged under the key, in order of first appearance. */
  response_ids: string[];
  /** The sessions whose entries carried the key. */
  sessions: string[];
  /** The first and last entry of the flag, epoch ms. */
  first_ts: number;
  /** See `first_ts`. */
  last_ts: number;
  /** True when every entry under the key says the key was sent to the tool. */
  key_sent: boolean;
  /** Why the effect could run twice; see the interface's description. */
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
  /** Tells this flag apart from {@link KeyWithSeveralResponses}. */
  kind: "one_action_several_keys";
  /** The action (tool name). */
  action_type: string;
  /** The arguments' fingerprint the executions share. */
  fingerprint: string;
  /** The session they ran in. */
  session_id: string;
  /** The distinct keys they ran under. */
  keys: string[];
  /** How many executions the flag covers. */
  executions: number;
  /** The first and last flagged execution, epoch ms. */
  first_ts: number;
  /** See `first_ts`. */
  last_ts: number;
  /** The scopes the flagged executions ran in. */
  scopes: string[];
  /** Why a new turn is ruled out (or cannot be); see the interface's description. */
  cause: "key_changed_in_scope" | "turn_id_changed" | "scope_unknown";
}

/** A flag: idempotency broke. */
export type AuditFlag = KeyWithSeveralResponses | ActionWithSeveralKeys;

/** One execution of a repeat listed for review. */
export interface RepeatExecution {
  /** When it finished, epoch ms (the entry's `ts`). */
  ts: number;
  /** The key it ran under. */
  idempotency_key: string;
  /** The turn (scope) it ran in. */
  scope: string;
  /** The entry's `turn`, when its writer logged one. */
  turn?: string | undefined;
}

/**
 * The same call (action, arguments, session) executed again in a new turn within the window: by
 * the turn scope a new logical action, usually deliberate ("send it again"). Listed for a person to
 * check, not flagged (`--strict` makes it fail the run).
 */
export interface RepeatInNewTurn {
  /** Tells a repeat for review apart from the flags. */
  kind: "repeated_in_new_turn";
  /** The action (tool name). */
  action_type: string;
  /** The arguments' fingerprint the executions share. */
  fingerprint: string;
  /** The session they ran in. */
  session_id: string;
  /** The executions, oldest first, each with its turn. */
  executions: RepeatExecution[];
  /** The first and last listed execution, epoch ms. */
  first_ts: number;
  /** See `first_ts`. */
  last_ts: number;
}

/** An unguarded action that ran more than once with the same arguments in one session. */
export interface UnguardedRepeats {
  /** The unguarded action (tool name). */
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
  /** Of those, calls that ran anyway (`onRepeat: "warn"`, or a hook that said `proceed`). */
  proceeded: number;
  /** Of those, calls refused (`IdempotencyRepeatRefusedError`). */
  refused: number;
  /** Of those, calls whose hook deferred the decision (a LangGraph interrupt). */
  deferred: number;
}

/** What `auditReport` finds in a log: counts per action, the two flags, repeats to review, blind spots. */
export interface AuditReport {
  /** The range asked for (`options.since`), epoch ms; undefined when open. */
  since: number | undefined;
  /** The range's exclusive end (`options.until`), epoch ms; undefined when open. */
  until: number | undefined;
  /** The window the flags and the review used, ms (`options.windowMs`, default 60 s). */
  windowMs: number;
  /** Readable entries in the range. */
  entries: number;
  /** First and last entry time seen. */
  first_ts: number | undefined;
  /** See `first_ts`; undefined when the range held no entry. */
  last_ts: number | undefined;
  /** Entries per outcome, over every action. */
  totals: OutcomeCounts;
  /** Per action; `unknown` counts entries whose outcome this version does not know. */
  actions: { action_type: string; counts: OutcomeCounts; unknown: number; total: number }[];
  /** Executed and replayed calls per UTC day (`YYYY-MM-DD`), for charts. */
  days: { day: string; executed: number; replayed: number }[];
  /** Where idempotency broke; an empty list is the healthy result. */
  flags: AuditFlag[];
  /** Repeats in a new turn, probably deliberate, for a person to check. */
  review: RepeatInNewTurn[];
  /** What the flags cannot see. */
  blind_spots: BlindSpots;
  /** Outcomes this version does not know, by name, with their counts (also in `actions[].unknown`). */
  unknown_outcomes: Record<string, number>;
  /** Records that could not be read (the sink's and the report's own findings). */
  malformed: { count: number; first: MalformedEntry[] };
  /** What live detection found and decided, as the entries record it. */
  live: LiveDetectionCounts;
}

/** Options of `auditReport(entries, options)`: the time range, the window, what to count as malformed. */
export interface AuditReportOptions {
  /** Only entries with `ts` at or after this instant, epoch ms; default: all. */
  since?: number;
  /** Only entries with `ts` before this instant, epoch ms (exclusive); default: all. */
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
