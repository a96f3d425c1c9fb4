/**
 * The audit report as one self-contained HTML page: inline CSS, inline SVG, no script, no web
 * font, no URL anywhere, so it can be mailed, attached to a CI run or opened offline and looks
 * the same. Every value from the log is escaped: action names and ids are data, not markup.
 */
import type { AuditReport, OutcomeCounts } from "@agent-idempotency/core";
import { formatCount, formatDuration, iso } from "../format.js";
import { escapeHtml, renderDayChart } from "./day-chart.js";
import type { FlagEvidence } from "./flag-evidence.js";
import { flagEvidence, reviewEvidence } from "./flag-evidence.js";
import type { ReportMeta } from "./report-text.js";
import { describeRange } from "./report-text.js";
import { OUTCOME_COLUMNS } from "./verdict.js";

/** Every outcome, always: a column of zeros says as much as a count. */
const OUTCOMES: (keyof OutcomeCounts)[] = OUTCOME_COLUMNS.map((c) => c.outcome);
/** Evidence lists longer than this are cut on the page too (the JSON output has all). */
const MAX_LISTED = 200;

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 24px auto; max-width: 820px; color: #111827; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: #4b5563; margin: 0; }
.meta code, td code, dd code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.verdict { margin: 16px 0; padding: 10px 14px; border-radius: 6px; font-weight: 600; }
.verdict.ok { background: #ecfdf5; color: #065f46; border: 1px solid #a7f3d0; }
.verdict.flagged, .verdict.unreadable { background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; }
.verdict.empty { background: #fffbeb; color: #92400e; border: 1px solid #fde68a; }
.review { border-color: #fde68a; border-left-color: #d97706; }
.review h3 { color: #92400e; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e5e7eb; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; word-break: break-all; }
tr.total td { font-weight: 600; border-top: 2px solid #9ca3af; }
svg .grid { stroke: #e5e7eb; }
svg .baseline { stroke: #6b7280; }
svg .axis, svg .legend, svg .empty { font: 11px system-ui, sans-serif; fill: #4b5563; }
svg .bar-executed { fill: #2563eb; }
svg .bar-replayed { fill: #16a34a; }
.flag { border: 1px solid #fecaca; border-left: 4px solid #dc2626; border-radius: 4px; padding: 8px 14px; margin: 12px 0; }
.flag h3 { margin: 4px 0; font-size: 15px; color: #991b1b; }
.flag dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
.flag dt { color: #4b5563; }
.flag dd { margin: 0; overflow-wrap: anywhere; }
.why { color: #374151; }
footer { margin-top: 32px; color: #6b7280; font-size: 12px; }
`;

const unknownTotal = (report: AuditReport) => Object.values(report.unknown_outcomes).reduce((a, b) => a + b, 0);

function actionRows(report: AuditReport, other: boolean): string {
  const row = (name: string, total: number, counts: OutcomeCounts, unknown: number, cls = "") =>
    `<tr${cls ? ` class="${cls}"` : ""}><td>${escapeHtml(name)}</td><td>${formatCount(total)}</td>${OUTCOMES.map((o) => `<td>${formatCount(counts[o] ?? 0)}</td>`).join("")}${other ? `<td>${formatCount(unknown)}</td>` : ""}</tr>`;
  return [
    ...report.actions.map((a) => row(a.action_type, a.total, a.counts, a.unknown)),
    row("total", report.entries, report.totals, unknownTotal(report), "total"),
  ].join("\n");
}

function evidenceSection(ev: FlagEvidence, heading: string, cls: string, kind: string): string {
  const dl = ev.fields
    .map((f) => {
      const shown = f.values.slice(0, MAX_LISTED).map((v) => `<code>${escapeHtml(v)}</code>`).join(", ");
      const more = f.values.length > MAX_LISTED ? ` … and ${f.values.length - MAX_LISTED} more` : "";
      return `<dt>${escapeHtml(f.label)}</dt><dd>${shown}${more}</dd>`;
    })
    .join("");
  return `<section class="${cls}" data-kind="${escapeHtml(kind)}"><h3>${escapeHtml(heading)}. ${escapeHtml(ev.title)}</h3><p>${escapeHtml(ev.seen)}</p><dl>${dl}</dl><p class="why">${escapeHtml(ev.why)}</p></section>`;
}

function flagsSection(report: AuditReport): string {
  if (report.flags.length === 0) return `<p id="no-flags">No flags: no key produced two response ids, and no call was executed under two keys in one turn within ${formatDuration(report.windowMs)}.</p>`;
  return report.flags.map((flag, i) => evidenceSection(flagEvidence(flag, report.windowMs), String(i + 1), "flag", flag.kind)).join("\n");
}

function reviewSection(report: AuditReport): string {
  if (report.review.length === 0) return `<p id="no-review">No call was repeated in a new turn within ${formatDuration(report.windowMs)}.</p>`;
  return report.review
    .slice(0, MAX_LISTED)
    .map((r, i) => evidenceSection(reviewEvidence(r), `R${i + 1}`, "flag review", r.kind))
    .concat(report.review.length > MAX_LISTED ? [`<p>… and ${formatCount(report.review.length - MAX_LISTED)} more (the JSON output lists all)</p>`] : [])
    .join("\n");
}

function blindSpotsSection(report: AuditReport): string {
  const { no_response_ids, unguarded_repeats } = report.blind_spots;
  const items = [
    ...no_response_ids.map((a) => `<li><code>${escapeHtml(a.action_type)}</code>: ${formatCount(a.executions)} guarded executions and no response id logged, so the first flag cannot see a duplicate; give its policy a <code>responseId</code>.</li>`),
    ...unguarded_repeats.map(
      (a) =>
        `<li><code>${escapeHtml(a.action_type)}</code>: unguarded, and ${formatCount(a.groups)} call(s) ran more than once with the same arguments in one session (${formatCount(a.executions)} executions; most: ${a.worst.executions} in session <code>${escapeHtml(a.worst.session_id)}</code>). If it has a side effect, guard it.</li>`,
    ),
  ];
  return items.length === 0 ? `<p id="no-blind-spots">None: every guarded action logged response ids, and no unguarded call repeated.</p>` : `<ul id="blind-spots">${items.join("")}</ul>`;
}

function unreadSection(report: AuditReport): string {
  if (report.malformed.count === 0) return "";
  const items = report.malformed.first.map((p) => `<li>${p.line !== undefined ? `line ${p.line}` : `record ${p.index}`}: ${escapeHtml(p.reason)}</li>`).join("");
  const more = report.malformed.count > report.malformed.first.length ? `<li>… and ${formatCount(report.malformed.count - report.malformed.first.length)} more</li>` : "";
  return `<h2>Unreadable records</h2>\n<p id="unread">${formatCount(report.malformed.count)} record(s) of this log are not audit entries and were not counted.</p><ul>${items}${more}</ul>\n`;
}

/** Renders the whole page. */
export function renderReportHtml(report: AuditReport, meta: ReportMeta): string {
  const n = report.flags.length;
  const verdict = `<div class="verdict ${meta.verdict.tone}" id="verdict">${escapeHtml(meta.verdict.headline)}</div>`;
  const other = unknownTotal(report) > 0;
  const unknownNote = other
    ? `<p id="unknown-outcomes">other: outcomes this version does not know (${Object.entries(report.unknown_outcomes).map(([o, c]) => `<code>${escapeHtml(o)}</code> ${formatCount(c)}`).join(", ")}); counted in calls, in no flag.</p>`
    : "";
  const live = report.live.detected > 0
    ? `<h2>Live detection</h2>\n<p id="live">${formatCount(report.live.detected)} repeat(s) caught at call time: ${report.live.proceeded} ran, ${report.live.refused} refused, ${report.live.deferred} deferred to a person.</p>\n`
    : "";
  const seen = report.first_ts === undefined ? "" : `, from ${iso(report.first_ts)} to ${iso(report.last_ts!)}`;
  const title = `agent-idempotency audit: ${meta.verdict.tone === "unreadable" ? "unreadable records" : n === 0 ? "no flags" : `${n} flag${n === 1 ? "" : "s"}`}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>Idempotency audit</h1>
<p class="meta">Log <code>${escapeHtml(meta.source)}</code> · ${escapeHtml(describeRange(report))} · window ${formatDuration(report.windowMs)}</p>
<p class="meta">${formatCount(report.entries)} entries${seen}</p>
${verdict}
<h2>Executed vs replayed calls per day (UTC)</h2>
${renderDayChart(report)}
${unreadSection(report)}<h2>Flags</h2>
${flagsSection(report)}
<h2>For review: repeated in a new turn</h2>
${reviewSection(report)}
<h2>Blind spots</h2>
${blindSpotsSection(report)}
${live}<h2>Calls per action</h2>
<table id="actions">
<thead><tr><th>action</th><th>calls</th>${OUTCOMES.map((o) => `<th>${o}</th>`).join("")}${other ? "<th>other</th>" : ""}</tr></thead>
<tbody>
${actionRows(report, other)}
</tbody>
</table>
${unknownNote}
<footer>Generated by agent-idempotency at ${iso(meta.generatedAt)}. One key with several response ids means the side effect ran twice; one action executed under several keys in one turn within the window means the key broke; the same call in a new turn is listed for review.</footer>
</body>
</html>
`;
}
