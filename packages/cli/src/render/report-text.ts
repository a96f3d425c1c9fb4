/**
 * The audit report for a terminal: at most 80 columns, read top to bottom in ten seconds —
 * where the numbers came from, one row per action with every outcome, then the verdict, each
 * flag's evidence, the repeats to review, the blind spots, and what could not be read.
 */
import type { AuditReport } from "@agent-idempotency/core";
import { field, formatCount, formatDuration, iso, truncate, wrapText } from "../format.js";
import { flagEvidence } from "./flag-evidence.js";
import type { FlagEvidence } from "./flag-evidence.js";
import type { Verdict } from "./verdict.js";
import { OUTCOME_COLUMNS } from "./verdict.js";

/** Where a report came from, shown in its header, and what it concluded. */
export interface ReportMeta {
  /** The audit log's URI, password redacted. */
  source: string;
  /** When the report was made, epoch ms. */
  generatedAt: number;
  /** The conclusion the report ends with, decided once so the text, JSON and HTML agree. */
  verdict: Verdict;
}

/** Terminal width the layout is made for. */
export const TEXT_WIDTH = 80;
/** Evidence lists longer than this are cut in the terminal (`--json` and `--html` have all). */
const MAX_LISTED = 8;
/** Repeats for review shown in the terminal. */
const MAX_REVIEW = 5;

/** "2026-11-20T00:00:00Z → 2026-11-27T00:00:00Z", with open ends spelled out. */
export function describeRange(report: AuditReport): string {
  if (report.since === undefined && report.until === undefined) return "all entries";
  const from = report.since === undefined ? "the beginning" : iso(report.since);
  const to = report.until === undefined ? "now" : iso(report.until);
  return `${from} → ${to}`;
}

/** `1234` → `"1234"`, `12345` → `"12k"`, `1234567` → `"1.2M"`: at most four characters. */
function compact(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 999_500) return `${Math.round(n / 1000)}k`;
  if (n < 9_950_000) return `${(n / 1e6).toFixed(1)}M`;
  return `${Math.round(n / 1e6)}M`;
}

/** The columns of the table: executed, replayed, failed always; any other outcome that occurred; `other` for unknown ones. */
function columns(report: AuditReport) {
  const cols = OUTCOME_COLUMNS.filter((c) => ["executed", "replayed", "failed"].includes(c.outcome) || report.totals[c.outcome] > 0).map((c) => ({
    header: c.header,
    legend: c.outcome as string,
    count: (counts: AuditReport["totals"], _unknown: number) => counts[c.outcome] ?? 0,
  }));
  const unknown = Object.values(report.unknown_outcomes).reduce((a, b) => a + b, 0);
  if (unknown > 0) cols.push({ header: "other", legend: "an outcome this version does not know", count: (_c, u) => u });
  const hidden = OUTCOME_COLUMNS.filter((c) => !cols.some((x) => x.legend === c.outcome)).map((c) => c.outcome);
  return { cols, hidden };
}

function actionTable(report: AuditReport, width: number): string[] {
  const { cols, hidden } = columns(report);
  const rows = [
    ...report.actions.map((a) => ({ name: a.action_type, total: a.total, cells: cols.map((c) => c.count(a.counts, a.unknown)) })),
    { name: "total", total: report.entries, cells: cols.map((c) => c.count(report.totals, Object.values(report.unknown_outcomes).reduce((x, y) => x + y, 0))) },
  ];
  // Full numbers when they fit; k/M when a million entries would push the table past the width.
  const layout = (fmt: (n: number) => string, gap: number) => {
    const widths = [Math.max(5, ...rows.map((r) => fmt(r.total).length)), ...cols.map((c, i) => Math.max(c.header.length, ...rows.map((r) => fmt(r.cells[i]!).length)))];
    return { fmt, gap, widths, numbers: widths.reduce((sum, w) => sum + w + gap, 0) };
  };
  let l = layout(String, 2);
  if (l.numbers + 6 > width) l = layout(compact, 2);
  if (l.numbers + 6 > width) l = layout(compact, 1);
  const nameWidth = Math.max(6, Math.min(Math.max(6, ...rows.map((r) => r.name.length)), width - l.numbers));
  const line = (name: string, cells: string[]) => truncate(name, nameWidth).padEnd(nameWidth) + cells.map((c, i) => c.padStart(l.widths[i]! + l.gap)).join("");
  const out = [line("action", ["calls", ...cols.map((c) => c.header)])];
  for (const [i, r] of rows.entries()) {
    if (i === rows.length - 1) out.push("-".repeat(Math.min(width, nameWidth + l.numbers)));
    out.push(line(r.name, [l.fmt(r.total), ...r.cells.map(l.fmt)]));
  }
  const legend = cols.map((c) => `${c.header} = ${c.legend}`).join(", ");
  out.push(wrapText(`(${legend}${hidden.length > 0 ? `; none: ${hidden.join(", ")}` : ""})`, width, 0));
  const unknown = Object.entries(report.unknown_outcomes);
  if (unknown.length > 0) out.push(wrapText(`unknown outcomes: ${unknown.map(([o, n]) => `${JSON.stringify(o)} ${formatCount(n)}`).join(", ")} (counted in calls and other, in no flag)`, width, 0));
  return out;
}

function cut(values: string[]): string[] {
  return values.length <= MAX_LISTED ? values : [...values.slice(0, MAX_LISTED), `… and ${values.length - MAX_LISTED} more (--json lists all)`];
}

function evidence(out: string[], n: string, ev: FlagEvidence, width: number): void {
  out.push("");
  out.push(truncate(`${n}. ${ev.title}`, width));
  out.push(wrapText(ev.seen, width, 3));
  for (const f of ev.fields) out.push(field(f.label, cut(f.values), 3, 11, width));
  out.push(wrapText(`why: ${ev.why}`, width, 3));
}

/**
 * The repeats to review, compactly: the why once, then per repeat its executions, each with its
 * time, key and turn (the page and the JSON carry the full evidence of every one).
 */
function reviewSection(report: AuditReport, width: number): string[] {
  const n = report.review.length;
  if (n === 0) return [];
  const out = [
    "",
    wrapText(
      `FOR REVIEW: ${formatCount(n)} call${n === 1 ? "" : "s"} repeated in a new turn within ${formatDuration(report.windowMs)}. Not flags: by the turn scope each repeat is a new action, usually deliberate ("send it again"); check that the user meant it. --strict fails the run on them.`,
      width,
      0,
    ),
  ];
  for (const [i, r] of report.review.slice(0, MAX_REVIEW).entries()) {
    const turns = new Set(r.executions.map((x) => x.scope)).size;
    out.push("", truncate(`R${i + 1}. ${r.action_type}, session ${r.session_id}: ${r.executions.length} executions in ${turns} turns within ${formatDuration(r.last_ts - r.first_ts)}`, width));
    for (const x of r.executions.slice(0, MAX_LISTED)) {
      out.push(truncate(`    ${iso(x.ts)}  key ${x.idempotency_key}`, width));
      out.push(wrapText(`in ${x.scope}${x.turn === undefined ? "" : ` (turn ${x.turn.split(":")[0]})`}`, width, 6));
    }
  }
  if (n > MAX_REVIEW) out.push("", `… and ${formatCount(n - MAX_REVIEW)} more (--json and --html list all)`);
  return out;
}

function blindSpots(report: AuditReport, width: number): string[] {
  const { no_response_ids, unguarded_repeats } = report.blind_spots;
  if (no_response_ids.length === 0 && unguarded_repeats.length === 0) return [];
  const out = ["", "BLIND SPOTS (what the flags cannot see)"];
  for (const a of no_response_ids) {
    out.push(wrapText(`- ${a.action_type}: ${formatCount(a.executions)} guarded executions, no response id logged, so the first flag cannot see a duplicate; give its policy a responseId.`, width, 0));
  }
  for (const a of unguarded_repeats) {
    const w = a.worst;
    out.push(
      wrapText(
        `- ${a.action_type}: unguarded, and ${formatCount(a.groups)} call${a.groups === 1 ? "" : "s"} ran more than once with the same arguments in one session (${formatCount(a.executions)} executions; most: ${w.executions} in session ${w.session_id}). If it has a side effect, guard it.`,
        width,
        0,
      ),
    );
  }
  return out;
}

/** Renders the report as plain text, lines at most `width` (80) columns wide. */
export function renderReportText(report: AuditReport, meta: ReportMeta, width = TEXT_WIDTH): string {
  const out: string[] = [];
  const head = (label: string, value: string) => field(label, value, 2, 7, width);
  out.push("agent-idempotency audit");
  out.push(head("log", meta.source));
  out.push(head("range", describeRange(report)));
  out.push(head("window", `${formatDuration(report.windowMs)} (two executions of one call this close together are compared)`));
  const seen = report.first_ts === undefined ? "" : `, ${iso(report.first_ts)} → ${iso(report.last_ts!)}`;
  out.push(head("entries", `${formatCount(report.entries)}${seen}`));
  if (report.malformed.count > 0) {
    const where = report.malformed.first.map((p) => `${p.line !== undefined ? `line ${p.line}` : `record ${p.index}`}: ${p.reason}`);
    const more = report.malformed.count > where.length ? [`… ${formatCount(report.malformed.count - where.length)} more`] : [];
    out.push(field("unread", [`${formatCount(report.malformed.count)} not audit entries`, ...where, ...more], 2, 7, width));
  }
  out.push("");
  if (report.entries > 0) out.push(...actionTable(report, width), "");

  out.push(wrapText(meta.verdict.headline, width, 0));
  const flags = report.flags.length;
  // A headline about unreadable records would otherwise sit right above the numbered flags, which
  // then read as the bad records: the flags get their own heading.
  if (flags > 0 && meta.verdict.tone !== "flagged") {
    out.push("", wrapText(`${formatCount(flags)} FLAG${flags === 1 ? "" : "S"} RAISED in the entries that could be read`, width, 0));
  }
  for (const [i, flag] of report.flags.entries()) evidence(out, String(i + 1), flagEvidence(flag, report.windowMs), width);

  out.push(...reviewSection(report, width));
  out.push(...blindSpots(report, width));
  const live = report.live;
  if (live.detected > 0) {
    out.push("", wrapText(`LIVE DETECTION: ${formatCount(live.detected)} repeat${live.detected === 1 ? "" : "s"} caught at call time (${live.proceeded} ran, ${live.refused} refused, ${live.deferred} deferred to a person).`, width, 0));
  }
  return `${out.join("\n")}\n`;
}
