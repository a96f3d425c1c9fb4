/**
 * The weekly aggregation: counts per action, the two signs of broken idempotency, the repeats a
 * person should look at, and what the report cannot see.
 *
 * - flag 1, one key, several response ids (`key-table.ts`): one `idempotency_key` produced two or
 *   more distinct `response_id`s, so the side effect ran twice. With the key sent, the upstream
 *   ignored it or the record was lost; with no key sent (observe-only), it ran with no guard.
 * - flag 2, one action, several keys (`repeat-groups.ts`): the same action with the same
 *   fingerprint in the same session executed under two or more keys within `windowMs` in the same
 *   scope (or the same turn under a new id). The same call in a NEW turn is listed for review
 *   instead: by the turn scope it is a new logical action, usually a deliberate repeat.
 * - blind spots (`blind-spots.ts`): guarded actions with no response ids, unguarded repeats.
 *
 * Entries are validated as they stream (`read-entry.ts`: an ISO `ts` is normalized, a record that
 * is not an entry is counted as malformed, an unknown outcome is counted by name). State is kept
 * per key and per (action, fingerprint, session), and what is older than the window or the key
 * horizon behind the newest entry is dropped as it goes.
 */
import type { AuditEntry, AuditOutcome } from "./entry.js";
import { inRange } from "./entry.js";
import { BlindSpotTracker } from "./blind-spots.js";
import { KeyTable } from "./key-table.js";
import { isKnownOutcome, MalformedTally, readAuditEntry } from "./read-entry.js";
import { RepeatGroups } from "./repeat-groups.js";
import type { AuditFlag, AuditReport, AuditReportOptions, LiveDetectionCounts, OutcomeCounts } from "./report-types.js";

/** Outcomes in which the tool's side effect actually ran. */
const EXECUTIONS = new Set<AuditOutcome>(["executed", "lease_lost", "unguarded", "duplicate"]);

/** A count of zero for every outcome. */
export function emptyCounts(): OutcomeCounts {
  return { executed: 0, replayed: 0, recovered: 0, failed: 0, in_progress: 0, mismatch: 0, lease_lost: 0, unguarded: 0, duplicate: 0 };
}

/**
 * Whether the tool received the entry's key. Entries of older versions do not say: the engine
 * then sent the key of every guarded call, and unguarded calls had none to send.
 */
function keySentOf(e: AuditEntry): boolean {
  if (typeof e.key_sent === "boolean") return e.key_sent;
  return !!e.idempotency_key && e.outcome !== "unguarded" && e.outcome !== "duplicate";
}

const DAY_MS = 86_400_000;

/**
 * Aggregates audit entries (an array, or a sink's `query()` stream). Never throws on what the
 * entries hold: a record that is not an entry is counted in `malformed`.
 *
 * @example
 * ```ts
 * const report = await auditReport(log.query({ since: Date.now() - 7 * 864e5 }));
 * if (report.flags.length) process.exitCode = 1;
 * ```
 */
export async function auditReport(
  entries: Iterable<unknown> | AsyncIterable<unknown>,
  options: AuditReportOptions = {},
): Promise<AuditReport> {
  const windowMs = options.windowMs ?? 60_000;
  const keyHorizonMs = options.keyHorizonMs ?? 2 * DAY_MS;
  const malformed = options.malformed ?? new MalformedTally();
  const totals = emptyCounts();
  const unknown: Record<string, number> = {};
  const perAction = new Map<string, { counts: OutcomeCounts; unknown: number }>();
  const perDay = new Map<number, { executed: number; replayed: number }>();
  const keys = new KeyTable();
  const groups = new RepeatGroups(windowMs);
  const blind = new BlindSpotTracker();
  const live: LiveDetectionCounts = { detected: 0, proceeded: 0, refused: 0, deferred: 0 };
  let count = 0;
  let index = 0;
  let first: number | undefined;
  let last: number | undefined;
  let sinceSweep = 0;

  for await (const raw of entries) {
    index++;
    const read = readAuditEntry(raw);
    if (read.entry === undefined) {
      malformed.add({ index, reason: read.reason });
      continue;
    }
    const e = read.entry;
    if (!inRange(e.ts, options)) continue;
    count++;
    first = first === undefined ? e.ts : Math.min(first, e.ts);
    last = last === undefined ? e.ts : Math.max(last, e.ts);
    let action = perAction.get(e.action_type);
    if (!action) perAction.set(e.action_type, (action = { counts: emptyCounts(), unknown: 0 }));
    if (!isKnownOutcome(e.outcome)) {
      // Counted where a reader sees it, by name; it takes part in no flag (its meaning is unknown).
      unknown[e.outcome] = (unknown[e.outcome] ?? 0) + 1;
      action.unknown++;
      continue;
    }
    totals[e.outcome]++;
    action.counts[e.outcome]++;
    if (e.outcome === "replayed" || EXECUTIONS.has(e.outcome)) {
      const day = Math.floor(e.ts / DAY_MS);
      let d = perDay.get(day);
      if (!d) perDay.set(day, (d = { executed: 0, replayed: 0 }));
      if (e.outcome === "replayed") d.replayed++;
      else d.executed++;
    }

    const sent = keySentOf(e);
    if (e.idempotency_key && e.response_id) keys.see(e, e.idempotency_key, e.response_id, sent);
    if (e.idempotency_key && EXECUTIONS.has(e.outcome)) groups.see(e, e.idempotency_key);
    if (e.outcome === "unguarded" || e.outcome === "duplicate") blind.unguardedExecution(e);
    else if (sent && e.idempotency_key && (e.outcome === "executed" || e.outcome === "recovered")) blind.guardedExecution(e);
    if (e.repeat_of) {
      live.detected++;
      if (e.repeat_decision === "refuse") live.refused++;
      else if (e.repeat_decision === "deferred") live.deferred++;
      else live.proceeded++;
    }

    // Keep memory bounded on long logs: what is older than the window or the horizon goes.
    if (++sinceSweep >= 50_000 && last !== undefined) {
      sinceSweep = 0;
      groups.sweep(last - windowMs);
      keys.forgetBefore(last - keyHorizonMs);
      blind.sweep(last - keyHorizonMs);
    }
  }

  const flags: AuditFlag[] = [...groups.flags, ...keys.flagged.values()];
  return {
    since: options.since,
    until: options.until,
    windowMs,
    entries: count,
    first_ts: first,
    last_ts: last,
    totals,
    actions: [...perAction]
      .map(([action_type, a]) => ({ action_type, counts: a.counts, unknown: a.unknown, total: Object.values(a.counts).reduce((x, y) => x + y, a.unknown) }))
      .sort((a, b) => b.total - a.total || a.action_type.localeCompare(b.action_type)),
    days: [...perDay]
      .sort((a, b) => a[0] - b[0])
      .map(([day, d]) => ({ day: new Date(day * DAY_MS).toISOString().slice(0, 10), ...d })),
    flags,
    review: groups.review,
    blind_spots: blind.result(),
    unknown_outcomes: unknown,
    malformed: { count: malformed.count, first: [...malformed.first] },
    live,
  };
}
