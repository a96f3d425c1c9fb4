/**
 * The per-day chart of executed vs replayed calls, as inline SVG: no script, no font, no network,
 * so the page renders the same from a mail attachment, a CI artifact or an air-gapped laptop.
 * Days without calls inside the reported range are drawn as empty slots, so a gap in traffic (or
 * in logging) shows as a gap.
 */
import type { AuditReport } from "@agent-idempotency/core";
import { formatCount } from "../format.js";

const DAY_MS = 86_400_000;
/** Beyond this many days the empty ones are not filled in (the chart would be all gaps). */
const MAX_FILLED_DAYS = 400;
const W = 760;
const H = 260;
const M = { left: 56, right: 12, top: 28, bottom: 36 };

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The days to draw: every UTC day of the range when it is short enough, else the days with data. */
export function chartDays(report: AuditReport): { day: string; executed: number; replayed: number }[] {
  const byDay = new Map(report.days.map((d) => [d.day, d]));
  const firstData = report.days[0]?.day;
  const lastData = report.days.at(-1)?.day;
  const from = report.since !== undefined ? dayOf(report.since) : firstData;
  const to = report.until !== undefined ? dayOf(report.until - 1) : lastData;
  if (from === undefined || to === undefined) return report.days;
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (end < start || (end - start) / DAY_MS + 1 > MAX_FILLED_DAYS) return report.days;
  const out: { day: string; executed: number; replayed: number }[] = [];
  for (let t = start; t <= end; t += DAY_MS) {
    const day = dayOf(t);
    out.push(byDay.get(day) ?? { day, executed: 0, replayed: 0 });
  }
  return out;
}

/**
 * The y axis: a step of 1, 2 or 5 × 10^n (at least 1: calls are counted in whole numbers) that
 * gives at most four intervals, and the top, a multiple of it at or above `v`. Every grid line
 * then has an integer label at its exact height (4 over 0-5 in quarters would read 0 1 3 4 5).
 */
export function yAxis(v: number): { step: number; max: number } {
  const raw = Math.max(1, v) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p);
  return { step, max: Math.max(step, Math.ceil(v / step) * step) };
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** The chart as an `<svg>` element: one blue (executed) and one green (replayed) bar per day. */
export function renderDayChart(report: AuditReport): string {
  const days = chartDays(report);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const { step, max } = yAxis(Math.max(0, ...days.map((d) => Math.max(d.executed, d.replayed))));
  const y = (v: number) => M.top + ph - (v / max) * ph;
  const parts: string[] = [];
  const label = `Executed and replayed calls per day, ${days.length} day${days.length === 1 ? "" : "s"}`;
  parts.push(`<svg id="day-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(label)}">`);
  for (let v = 0; v <= max; v += step) {
    const gy = fmt(y(v));
    parts.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${gy}" y2="${gy}"/>`);
    parts.push(`<text class="axis" x="${M.left - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle">${formatCount(v)}</text>`);
  }
  if (days.length === 0) {
    parts.push(`<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">no executed or replayed calls in this range</text>`);
  }
  const gw = pw / Math.max(1, days.length);
  const bw = Math.max(1, Math.min(22, gw * 0.4));
  const every = Math.ceil(days.length / 12);
  for (const [i, d] of days.entries()) {
    const cx = M.left + gw * i + gw / 2;
    for (const [kind, value, x] of [["executed", d.executed, cx - bw - 0.5], ["replayed", d.replayed, cx + 0.5]] as const) {
      const top = y(value);
      parts.push(
        `<rect class="bar bar-${kind}" data-day="${d.day}" data-value="${value}" x="${fmt(x)}" y="${fmt(top)}" width="${fmt(bw)}" height="${fmt(M.top + ph - top)}">` +
          `<title>${d.day}: ${formatCount(value)} ${kind}</title></rect>`,
      );
    }
    if (i % every === 0) {
      parts.push(`<text class="axis" x="${fmt(cx)}" y="${H - M.bottom + 16}" text-anchor="middle">${d.day.slice(5)}</text>`);
    }
  }
  parts.push(`<line class="baseline" x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}"/>`);
  const lx = W - M.right - 190;
  parts.push(`<rect class="bar-executed" x="${lx}" y="8" width="12" height="12"/><text class="legend" x="${lx + 16}" y="18">executed</text>`);
  parts.push(`<rect class="bar-replayed" x="${lx + 96}" y="8" width="12" height="12"/><text class="legend" x="${lx + 112}" y="18">replayed</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}
