/**
 * Reading audit entries that someone else may have written: another service, another language, an
 * older version, a process that crashed mid-line. The report must never crash on them (an ISO `ts`
 * once made `auditReport` throw `RangeError: Invalid time value`) nor drop them silently.
 *
 * - `ts` is epoch milliseconds or an ISO-8601 / RFC 3339 time (`2026-11-23T09:00:00Z`,
 *   `…+01:00`, fractions of any length, a space instead of `T`); a time without a zone is read as
 *   UTC, as Python's `datetime.utcnow().isoformat()` writes it. It is normalized to epoch ms.
 * - `action_type` and `outcome` are required strings; an outcome this version does not know is kept
 *   (the report counts it apart, by name).
 * - ids may be strings or numbers (normalized to strings); `session_id` and `fingerprint` default to
 *   `""`, `attempt` to 1, `duration_ms` to 0.
 * Anything else is malformed, with a reason that never quotes the content (it may hold personal data).
 */
import type { AuditEntry, MalformedEntry } from "./entry.js";
import { AuditOutcome } from "./entry.js";

/** The largest distance from the epoch, in ms, that a JavaScript Date can hold. */
const MAX_TIME = 8.64e15;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,12}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const KNOWN = new Set<string>(Object.values(AuditOutcome));
const ID_FIELDS = ["idempotency_key", "response_id", "tool_call_id", "scope", "turn", "repeat_of"] as const;

/** True when `outcome` is one this version of the report has a column for. */
export function isKnownOutcome(outcome: string): outcome is AuditOutcome {
  return KNOWN.has(outcome);
}

/** Epoch ms from a number or an ISO-8601 string; undefined when it is neither (or out of Date's range). */
export function parseTimestamp(ts: unknown): number | undefined {
  if (typeof ts === "number") return Number.isFinite(ts) && Math.abs(ts) <= MAX_TIME ? ts : undefined;
  if (typeof ts !== "string" || ts.length > 64) return undefined;
  const m = ISO.exec(ts.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s = 0] = m.slice(1, 7).map((v) => (v === undefined ? 0 : Number(v))) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > DAYS[mo! - 1]! || h! > 23 || mi! > 59 || s > 60) return undefined;
  if (mo === 2 && d === 29 && !(y! % 4 === 0 && (y! % 100 !== 0 || y! % 400 === 0))) return undefined;
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  let offset = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== "Z" && zone !== "z") {
    const oh = Number(zone.slice(1, 3));
    const om = zone.length > 3 ? Number(zone.slice(-2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offset = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!, s, ms) - offset;
  return Number.isFinite(t) && Math.abs(t) <= MAX_TIME ? t : undefined;
}

/** An entry read from a log, or why it could not be read. */
export type ReadResult = { entry: AuditEntry; reason?: undefined } | { entry?: undefined; reason: string };

function isCanonical(v: Record<string, unknown>): boolean {
  if (typeof v.ts !== "number" || !Number.isFinite(v.ts) || Math.abs(v.ts) > MAX_TIME) return false;
  if (typeof v.action_type !== "string" || v.action_type === "" || typeof v.outcome !== "string" || v.outcome === "") return false;
  if (typeof v.session_id !== "string" || typeof v.fingerprint !== "string") return false;
  if (typeof v.attempt !== "number" || typeof v.duration_ms !== "number") return false;
  for (const f of ID_FIELDS) if (v[f] !== undefined && typeof v[f] !== "string") return false;
  return (v.key_sent === undefined || typeof v.key_sent === "boolean") && (v.repeat_decision === undefined || typeof v.repeat_decision === "string");
}

/**
 * Validates one record of a log and normalizes it to an {@link AuditEntry}: the same object when
 * it already is one (the fast path for our own writers), else a normalized copy.
 */
export function readAuditEntry(value: unknown): ReadResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { reason: "not a JSON object" };
  const v = value as Record<string, unknown>;
  if (isCanonical(v)) return { entry: v as unknown as AuditEntry };
  if (v.ts === undefined || v.ts === null) return { reason: "no ts" };
  const ts = parseTimestamp(v.ts);
  if (ts === undefined) return { reason: "ts is neither epoch milliseconds nor an ISO-8601 time" };
  if (typeof v.action_type !== "string" || v.action_type === "") return { reason: "no action_type" };
  if (typeof v.outcome !== "string" || v.outcome === "") return { reason: "no outcome" };
  const text = (f: string): string | undefined | null => {
    const x = v[f];
    if (x === undefined || x === null || x === "") return undefined;
    if (typeof x === "string") return x;
    if (typeof x === "number" && Number.isFinite(x)) return String(x);
    return null;
  };
  const entry: AuditEntry = {
    ts,
    action_type: v.action_type,
    outcome: v.outcome as AuditEntry["outcome"],
    session_id: "",
    fingerprint: "",
    attempt: typeof v.attempt === "number" && Number.isFinite(v.attempt) ? v.attempt : 1,
    duration_ms: typeof v.duration_ms === "number" && Number.isFinite(v.duration_ms) ? v.duration_ms : 0,
  };
  for (const f of ["session_id", "fingerprint"] as const) {
    const t = text(f);
    if (t === null) return { reason: `${f} is not a string` };
    if (t !== undefined) entry[f] = t;
  }
  for (const f of ID_FIELDS) {
    const t = text(f);
    if (t === null) return { reason: `${f} is not a string` };
    if (t !== undefined) entry[f] = t;
  }
  if (v.key_sent !== undefined && v.key_sent !== null) {
    if (typeof v.key_sent !== "boolean") return { reason: "key_sent is not a boolean" };
    entry.key_sent = v.key_sent;
  }
  if (typeof v.repeat_decision === "string") entry.repeat_decision = v.repeat_decision as AuditEntry["repeat_decision"];
  return { entry };
}

/**
 * Counts the records a report could not read, keeping the first few for the report to show.
 *
 * @example
 * ```ts
 * const malformed = new MalformedTally();
 * const report = await auditReport(log.query({ onMalformed: (p) => malformed.add(p) }), { malformed });
 * report.malformed; // { count, first: [{ line: 3, reason: "not JSON" }, …] }
 * ```
 */
export class MalformedTally {
  /** How many problems were added. */
  count = 0;
  /** The first `keep` problems, in the order they were added. */
  readonly first: MalformedEntry[] = [];
  /** How many problems `first` keeps (default 5); the rest are only counted. */
  readonly keep: number;

  constructor(keep = 5) {
    this.keep = keep;
  }

  /** Counts `problem`, and keeps it while `first` has room; pass it as `onMalformed`. */
  add(problem: MalformedEntry): void {
    this.count++;
    if (this.first.length < this.keep) this.first.push(problem);
  }
}
