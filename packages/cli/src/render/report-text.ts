/**
 * The audit report for a terminal: at most 80 columns, read top to bottom in ten seconds —
 * where the numbers came from, one row per action, then the verdict and each flag's evidence.
 */
import type { AuditReport, OutcomeCounts } from "@agent-idempotency/core";
import { field, formatCount, formatDuration, iso, truncate, wrapText } from "../format.js";
import { flagEvidence } from "./flag-evidence.js";

/** Where a report came from, shown in its header. */
export interface ReportMeta {
  /** The audit log's URI, password redacted. */
  source: string;
  /** When the report was made, epoch ms. */
  generatedAt: number;
}

/** Terminal width the layout is made for. */
export const TEXT_WIDTH = 80;
/** Evidence lists longer than this are cut in the terminal (`--json` and `--html` have all). */
const MAX_LISTED = 8;

const COLUMNS: { header: string; outcome: keyof OutcomeCounts; legend: string }[] = [
  { header: "exec", outcome: "executed", legend: "executed" },
  { header: "repl", outcome: "replayed", legend: "replayed" },
  { header: "recov", outcome: "recovered", legend: "recovered" },
  { header: "fail", outcome: "failed", legend: "failed" },
  { header: "mism", outcome: "mismatch", legend: "mismatch" },
  { header: "lost", outcome: "lease_lost", legend: "lease_lost" },
  { header: "ungrd", outcome: "unguarded", legend: "unguarded" },
];

/** "2026-11-20T00:00:00Z → 2026-11-27T00:00:00Z", with open ends spelled out. */
export function describeRange(report: AuditReport): string {
  if (report.since === undefined && report.until === undefined) return "all entries";
  const from = report.since === undefined ? "the beginning" : iso(report.since);
  const to = report.until === undefined ? "now" : iso(report.until);
  return `${from} → ${to}`;
}

function actionTable(report: AuditReport, width: number): string[] {
  const rows = [
    ...report.actions.map((a) => ({ name: a.action_type, total: a.total, counts: a.counts })),
    { name: "total", total: report.entries, counts: report.totals },
  ];
  const numWidths = [
    Math.max(5, ...rows.map((r) => String(r.total).length)),
    ...COLUMNS.map((c) => Math.max(c.header.length, ...rows.map((r) => String(r.counts[c.outcome] ?? 0).length))),
  ];
  const numbers = numWidths.reduce((sum, w) => sum + w + 2, 0);
  const nameWidth = Math.max(6, Math.min(Math.max(6, ...rows.map((r) => r.name.length)), width - numbers));
  const line = (name: string, cells: string[]) =>
    truncate(name, nameWidth).padEnd(nameWidth) + cells.map((c, i) => c.padStart(numWidths[i]! + 2)).join("");
  const out = [line("action", ["calls", ...COLUMNS.map((c) => c.header)])];
  for (const [i, r] of rows.entries()) {
    if (i === rows.length - 1) out.push("-".repeat(Math.min(width, nameWidth + numbers)));
    out.push(line(r.name, [String(r.total), ...COLUMNS.map((c) => String(r.counts[c.outcome] ?? 0))]));
  }
  return out;
}

function cut(values: string[]): string[] {
  return values.length <= MAX_LISTED ? values : [...values.slice(0, MAX_LISTED), `… and ${values.length - MAX_LISTED} more (--json lists all)`];
}

/** Renders the report as plain text, lines at most `width` (80) columns wide. */
export function renderReportText(report: AuditReport, meta: ReportMeta, width = TEXT_WIDTH): string {
  const out: string[] = [];
  const head = (label: string, value: string) => field(label, value, 2, 7, width);
  out.push("agent-idempotency audit");
  out.push(head("log", meta.source));
  out.push(head("range", describeRange(report)));
  out.push(head("window", `${formatDuration(report.windowMs)} (two executions of one call this close together are suspicious)`));
  const seen = report.first_ts === undefined ? "" : `, ${iso(report.first_ts)} → ${iso(report.last_ts!)}`;
  out.push(head("entries", `${formatCount(report.entries)}${seen}`));
  out.push("");

  if (report.entries === 0) {
    out.push(wrapText("No audit entries in this range. If tools ran, check that the engine writes to this log (the `audit` option of createIdempotency).", width, 0));
  } else {
    out.push(...actionTable(report, width));
    out.push(wrapText(`(${COLUMNS.map((c) => `${c.header} = ${c.legend}`).join(", ")})`, width, 0));
    const extra = (["in_progress", "duplicate"] as const).filter((o) => report.totals[o] > 0);
    if (extra.length > 0) out.push(`also: ${extra.map((o) => `${formatCount(report.totals[o])} ${o}`).join(", ")}`);
  }
  out.push("");

  if (report.flags.length === 0) {
    out.push(wrapText(`OK: no flags. No key produced two response ids, and no call was executed under two keys within ${formatDuration(report.windowMs)}.`, width, 0));
    return `${out.join("\n")}\n`;
  }
  out.push(`${report.flags.length} FLAG${report.flags.length === 1 ? "" : "S"} RAISED (exit code 1)`);
  for (const [i, flag] of report.flags.entries()) {
    const ev = flagEvidence(flag, report.windowMs);
    out.push("");
    out.push(truncate(`${i + 1}. ${ev.title}`, width));
    out.push(wrapText(ev.seen, width, 3));
    for (const f of ev.fields) out.push(field(f.label, cut(f.values), 3, 11, width));
    out.push(wrapText(`why: ${ev.why}`, width, 3));
  }
  return `${out.join("\n")}\n`;
}
