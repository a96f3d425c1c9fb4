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
  /**
   * How long a key's first response id is remembered (default 48 h). Records replay for `ttlMs`
   * (24 h by default); after that a key is free again and a second execution under it is
   * expected, not a broken key. Forgetting older keys keeps memory bounded by the keys of that
   * horizon, not of the whole log. Entries must come in time order (every sink's `query()` does).
   */
  keyHorizonMs?: number;
}

/** Outcomes in which the tool's side effect actually ran. */
const EXECUTIONS = new Set<AuditOutcome>(["executed", "lease_lost", "unguarded", "duplicate"]);

export function emptyCounts(): OutcomeCounts {
  return { executed: 0, replayed: 0, recovered: 0, failed: 0, in_progress: 0, mismatch: 0, lease_lost: 0, unguarded: 0, duplicate: 0 };
}

/**
 * Per key, only what the first flag needs until a second response id shows up: the first response
 * id and when it was seen, in parallel arrays indexed from one Map (about 150 bytes a key, instead
 * of an object per key). Evidence objects are built only for keys that turn out to be flagged.
 */
class KeyTable {
  readonly index = new Map<string, number>();
  readonly firstResponse: string[] = [];
  readonly firstTs: number[] = [];
  readonly action: number[] = [];
  readonly session: number[] = [];
  readonly flagged = new Map<number, KeyWithSeveralResponses>();
  /** Action and session names are few; keys refer to them by number. */
  readonly names: string[] = [];
  readonly nameIndex = new Map<string, number>();
  #oldest = 0;

  name(s: string): number {
    let i = this.nameIndex.get(s);
    if (i === undefined) {
      i = this.names.push(s) - 1;
      this.nameIndex.set(s, i);
    }
    return i;
  }

  see(e: AuditEntry, key: string, responseId: string): void {
    const i = this.index.get(key);
    if (i === undefined) {
      this.index.set(key, this.firstResponse.push(responseId) - 1);
      this.firstTs.push(e.ts);
      this.action.push(this.name(e.action_type));
      this.session.push(this.name(e.session_id));
      return;
    }
    let flag = this.flagged.get(i);
    if (!flag) {
      if (this.firstResponse[i] === responseId) return;
      flag = {
        kind: "one_key_several_response_ids",
        action_type: this.names[this.action[i]!]!,
        idempotency_key: key,
        response_ids: [this.firstResponse[i]!],
        sessions: [this.names[this.session[i]!]!],
        first_ts: this.firstTs[i]!,
        last_ts: this.firstTs[i]!,
      };
      this.flagged.set(i, flag);
    }
    if (!flag.response_ids.includes(responseId)) flag.response_ids.push(responseId);
    if (!flag.sessions.includes(e.session_id)) flag.sessions.push(e.session_id);
    flag.first_ts = Math.min(flag.first_ts, e.ts);
    flag.last_ts = Math.max(flag.last_ts, e.ts);
  }

  /** Forgets unflagged keys first seen before `horizon` (entries arrive in time order). */
  forgetBefore(horizon: number): void {
    if (this.firstTs[this.#oldest] === undefined || this.firstTs[this.#oldest]! >= horizon) return;
    for (const [key, i] of this.index) {
      if (this.firstTs[i]! < horizon && !this.flagged.has(i)) this.index.delete(key);
    }
    // Compact the arrays so that the memory is really given back.
    const keep = [...this.index];
    const old = { r: this.firstResponse.slice(), t: this.firstTs.slice(), a: this.action.slice(), s: this.session.slice() };
    const flagged = new Map<number, KeyWithSeveralResponses>();
    this.firstResponse.length = this.firstTs.length = this.action.length = this.session.length = 0;
    this.index.clear();
    for (const [key, i] of keep) {
      const j = this.firstResponse.push(old.r[i]!) - 1;
      this.firstTs.push(old.t[i]!);
      this.action.push(old.a[i]!);
      this.session.push(old.s[i]!);
      this.index.set(key, j);
      const f = this.flagged.get(i);
      if (f) flagged.set(j, f);
    }
    this.flagged.clear();
    for (const [j, f] of flagged) this.flagged.set(j, f);
    this.#oldest = 0;
    let min = Number.POSITIVE_INFINITY;
    this.firstTs.forEach((t, j) => {
      if (t < min) (min = t), (this.#oldest = j);
    });
  }
}

interface GroupState {
  recent: { ts: number; key: string }[];
  flag?: ActionWithSeveralKeys;
}

const DAY_MS = 86_400_000;

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
  const keyHorizonMs = options.keyHorizonMs ?? 2 * DAY_MS;
  const totals = emptyCounts();
  const perAction = new Map<string, OutcomeCounts>();
  const perDay = new Map<number, { executed: number; replayed: number }>();
  const keys = new KeyTable();
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
      const day = Math.floor(e.ts / DAY_MS);
      let d = perDay.get(day);
      if (!d) perDay.set(day, (d = { executed: 0, replayed: 0 }));
      if (e.outcome === "replayed") d.replayed++;
      else d.executed++;
    }

    if (e.idempotency_key && e.response_id) keys.see(e, e.idempotency_key, e.response_id);

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
      keys.forgetBefore(last - keyHorizonMs);
    }
  }

  flags.push(...keys.flagged.values());

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
    days: [...perDay]
      .sort((a, b) => a[0] - b[0])
      .map(([day, d]) => ({ day: new Date(day * DAY_MS).toISOString().slice(0, 10), ...d })),
    flags,
  };
}

function addExecution(flag: ActionWithSeveralKeys, r: { ts: number; key: string }): void {
  if (!flag.keys.includes(r.key)) flag.keys.push(r.key);
  flag.executions++;
  flag.first_ts = Math.min(flag.first_ts, r.ts);
  flag.last_ts = Math.max(flag.last_ts, r.ts);
}
