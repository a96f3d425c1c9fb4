/**
 * The weekly aggregation: counts per action, and the two signs of broken idempotency.
 *
 * - one key, several response ids: one `idempotency_key` produced two or more distinct
 *   `response_id`s, so the side effect ran twice (the upstream ignored the key, or the record was
 *   lost);
 * - one action, several keys: the same action with the same fingerprint in the same session ran
 *   under two or more keys within `windowMs`, so the key is too narrow (a volatile field in the
 *   identity, or a scope that changed between retries).
 *
 * Entries are streamed; state is kept per key and per (action, fingerprint, session), and
 * execution windows older than `windowMs` behind the newest entry are dropped as it goes.
 */
import type { AuditEntry, AuditOutcome } from "./entry.js";
import { inRange } from "./entry.js";

/** Counts of each outcome. */
export type OutcomeCounts = Record<AuditOutcome, number>;

/** The evidence of one key that produced several response ids. */
export interface KeyWithSeveralResponses {
  kind: "one_key_several_response_ids";
  action_type: string;
  idempotency_key: string;
  response_ids: string[];
  sessions: string[];
  first_ts: number;
  last_ts: number;
}

/** The evidence of one logical action executed under several keys within the window. */
export interface ActionWithSeveralKeys {
  kind: "one_action_several_keys";
  action_type: string;
  fingerprint: string;
  session_id: string;
  keys: string[];
  executions: number;
  first_ts: number;
  last_ts: number;
}

export type AuditFlag = KeyWithSeveralResponses | ActionWithSeveralKeys;

export interface AuditReport {
  since: number | undefined;
  until: number | undefined;
  windowMs: number;
  entries: number;
  /** First and last entry time seen. */
  first_ts: number | undefined;
  last_ts: number | undefined;
  totals: OutcomeCounts;
  actions: { action_type: string; counts: OutcomeCounts; total: number }[];
  /** Executed and replayed calls per UTC day (`YYYY-MM-DD`), for charts. */
  days: { day: string; executed: number; replayed: number }[];
  flags: AuditFlag[];
}

export interface AuditReportOptions {
  since?: number;
  until?: number;
  /** Two executions of one logical action this close together are suspicious. Default 60 s. */
  windowMs?: number;
}

/** Outcomes in which the tool's side effect actually ran. */
const EXECUTIONS = new Set<AuditOutcome>(["executed", "lease_lost", "unguarded", "duplicate"]);

export function emptyCounts(): OutcomeCounts {
  return { executed: 0, replayed: 0, recovered: 0, failed: 0, in_progress: 0, mismatch: 0, lease_lost: 0, unguarded: 0, duplicate: 0 };
}

interface KeyState {
  action: string;
  first: string;
  more?: { responses: Set<string>; sessions: Set<string>; first_ts: number; last_ts: number };
  session: string;
  first_ts: number;
}

interface GroupState {
  recent: { ts: number; key: string }[];
  flag?: ActionWithSeveralKeys;
}

/**
 * Aggregates audit entries (an array, or a sink's `query()` stream).
 *
 * @example
 * ```ts
 * const report = await auditReport(log.query({ since: Date.now() - 7 * 864e5 }));
 * if (report.flags.length) process.exitCode = 1;
 * ```
 */
export async function auditReport(
  entries: Iterable<AuditEntry> | AsyncIterable<AuditEntry>,
  options: AuditReportOptions = {},
): Promise<AuditReport> {
  const windowMs = options.windowMs ?? 60_000;
  const totals = emptyCounts();
  const perAction = new Map<string, OutcomeCounts>();
  const perDay = new Map<string, { executed: number; replayed: number }>();
  const keys = new Map<string, KeyState>();
  const groups = new Map<string, GroupState>();
  const flags: AuditFlag[] = [];
  let count = 0;
  let first: number | undefined;
  let last: number | undefined;
  let sinceSweep = 0;

  for await (const e of entries) {
    if (!inRange(e.ts, options)) continue;
    count++;
    first = first === undefined ? e.ts : Math.min(first, e.ts);
    last = last === undefined ? e.ts : Math.max(last, e.ts);
    totals[e.outcome] = (totals[e.outcome] ?? 0) + 1;
    let counts = perAction.get(e.action_type);
    if (!counts) perAction.set(e.action_type, (counts = emptyCounts()));
    counts[e.outcome] = (counts[e.outcome] ?? 0) + 1;
    if (e.outcome === "replayed" || EXECUTIONS.has(e.outcome)) {
      const day = new Date(e.ts).toISOString().slice(0, 10);
      let d = perDay.get(day);
      if (!d) perDay.set(day, (d = { executed: 0, replayed: 0 }));
      if (e.outcome === "replayed") d.replayed++;
      else d.executed++;
    }

    if (e.idempotency_key && e.response_id) {
      const k = keys.get(e.idempotency_key);
      if (!k) {
        keys.set(e.idempotency_key, { action: e.action_type, first: e.response_id, session: e.session_id, first_ts: e.ts });
      } else if (k.first !== e.response_id || k.more) {
        k.more ??= { responses: new Set([k.first]), sessions: new Set([k.session]), first_ts: k.first_ts, last_ts: k.first_ts };
        k.more.responses.add(e.response_id);
        k.more.sessions.add(e.session_id);
        k.more.first_ts = Math.min(k.more.first_ts, e.ts);
        k.more.last_ts = Math.max(k.more.last_ts, e.ts);
      }
    }

    if (e.idempotency_key && EXECUTIONS.has(e.outcome)) {
      const gk = `${e.action_type}\u0000${e.fingerprint}\u0000${e.session_id}`;
      let g = groups.get(gk);
      if (!g) groups.set(gk, (g = { recent: [] }));
      g.recent = g.recent.filter((r) => Math.abs(e.ts - r.ts) <= windowMs);
      const other = g.recent.find((r) => r.key !== e.idempotency_key);
      if (other) {
        if (!g.flag) {
          g.flag = {
            kind: "one_action_several_keys",
            action_type: e.action_type,
            fingerprint: e.fingerprint,
            session_id: e.session_id,
            keys: [],
            executions: 0,
            first_ts: e.ts,
            last_ts: e.ts,
          };
          flags.push(g.flag);
          for (const r of g.recent) addExecution(g.flag, r);
        }
        addExecution(g.flag, { ts: e.ts, key: e.idempotency_key });
      }
      g.recent.push({ ts: e.ts, key: e.idempotency_key });
    }

    // Keep memory bounded on long logs: groups with nothing flagged and nothing recent go.
    if (++sinceSweep >= 50_000 && last !== undefined) {
      sinceSweep = 0;
      const horizon = last - windowMs;
      for (const [gk, g] of groups) if (!g.flag && g.recent.every((r) => r.ts < horizon)) groups.delete(gk);
    }
  }

  for (const [key, k] of keys) {
    if (!k.more || k.more.responses.size < 2) continue;
    flags.push({
      kind: "one_key_several_response_ids",
      action_type: k.action,
      idempotency_key: key,
      response_ids: [...k.more.responses],
      sessions: [...k.more.sessions],
      first_ts: k.more.first_ts,
      last_ts: k.more.last_ts,
    });
  }

  return {
    since: options.since,
    until: options.until,
    windowMs,
    entries: count,
    first_ts: first,
    last_ts: last,
    totals,
    actions: [...perAction]
      .map(([action_type, counts]) => ({ action_type, counts, total: Object.values(counts).reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.total - a.total || a.action_type.localeCompare(b.action_type)),
    days: [...perDay].map(([day, d]) => ({ day, ...d })).sort((a, b) => a.day.localeCompare(b.day)),
    flags,
  };
}

function addExecution(flag: ActionWithSeveralKeys, r: { ts: number; key: string }): void {
  if (!flag.keys.includes(r.key)) flag.keys.push(r.key);
  flag.executions++;
  flag.first_ts = Math.min(flag.first_ts, r.ts);
  flag.last_ts = Math.max(flag.last_ts, r.ts);
}
