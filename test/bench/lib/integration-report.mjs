// The integration section's goals (issue 17), its stdout tables and its Markdown block.
import { table } from "./report.mjs";

const f = (v, d = 2) => (v === undefined || v === null || Number.isNaN(v) ? "–" : v.toFixed(d));
const us = (v) => (v === undefined || Number.isNaN(v) ? "–" : v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`);
const md = (head, rows) => [`| ${head.join(" | ")} |`, `| ${head.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

const KINDS = { node: "IdempotentToolNode", middleware: "idempotencyMiddleware" };

/** The goals of issue 17, as `{ target, value, limit, met, note }` (`met` null: not measured). */
export function integrationTargets(x) {
  const out = [];
  const add = (target, value, limit, ok, note = "") => {
    const measured = value !== undefined && !Number.isNaN(value);
    out.push({ target, value: measured ? value : undefined, limit, met: measured ? ok(value) : null, note });
  };
  for (const [kind, label] of Object.entries(KINDS)) {
    const m = x?.[kind];
    add(`${label}: fresh call / stock step, memory (p50)`, m?.freshOverStock, "<= 1.05", (v) => v <= 1.05, m ? `integration ${us(m.integrationUs)}, engine in the step ${us(m.engineInStepUs)}` : "");
    add(`${label}: replay / stock step, memory (p50)`, m?.replayOverStock, "<= 1.00", (v) => v <= 1.0);
    add(`${label}: passthrough / stock step, memory (p50)`, m?.passthroughOverStock, "<= 1.02", (v) => v <= 1.02);
    for (const b of ["sqlite", "redis"]) {
      const s = x?.stores?.[b]?.[kind];
      add(`${label}: ${b}, fresh step − (stock step + engine) (µs)`, s?.integrationUs, "<= 15", (v) => v <= 15, s ? `engine in the step ${us(s.engineInStepUs)}, fresh / stock ${f(s.freshOverStock)}` : "");
    }
    const p = x?.parallel?.[kind];
    add(`${label}: ten parallel calls, fresh / stock step (p50)`, p?.freshOverStock, "<= 1.10", (v) => v <= 1.1, p ? `replay / stock ${f(p.replayOverStock)}; integration ${us(p.integrationUs)}, engine in the step ${us(p.engineInStepUs)}` : "");
  }
  return out;
}

/** The stdout tables. */
export function integrationTables(x, rows) {
  const parts = [table("Graph steps (us; integration section)", rows, [["table", "table"], ["series", "series"], ["p50", "p50"], ["p99", "p99"]])];
  const derived = Object.entries(KINDS).map(([kind, label]) => ({ label, ...x[kind] }));
  parts.push(
    table("One call per step, memory (ratios: medians of per-round ratios; us: medians of per-round differences)", derived, [
      ["", "label"],
      ["fresh/stock", "freshOverStock", 3],
      ["replay/stock", "replayOverStock", 3],
      ["pass/stock", "passthroughOverStock", 3],
      ["fresh-stock", "freshMinusStockUs"],
      ["engine in step", "engineInStepUs"],
      ["integration", "integrationUs"],
    ]),
  );
  return parts.join("\n");
}

/** The Markdown block of BENCHMARKS.md, from a results file's `{ meta, results }`. */
export function integrationMarkdown({ meta: m, results }) {
  const x = results.integration;
  if (!x) return undefined;
  const lines = [
    `Run \`${m.runId}\` of ${m.startedAt.slice(0, 16).replace("T", " ")} UTC, commit \`${m.commit}\`, Node ${m.node}, ${m.cores} cores; load average ${m.loadAverageAtStart.map((v) => v.toFixed(1)).join(" / ")} at the start and ${m.loadAverageAtEnd.map((v) => v.toFixed(1)).join(" / ")} at the end; ${m.options.rounds} rounds. Command: \`${m.command}\`.`,
    "",
    md(["goal", "measured", "limit", "status"], integrationTargets(x).map((t) => [t.target, `${f(t.value)}${t.note ? ` (${t.note})` : ""}`, t.limit, t.met === null ? "not measured" : t.met ? "**met**" : "**missed**"])),
    "",
    "One call per step, `MemoryStore` (p50 / p99 of the step):",
    "",
  ];
  const names = (s) => Object.keys(s);
  for (const [kind, label] of Object.entries(KINDS)) {
    const s = x[kind].series;
    lines.push(md([label, ...names(s)], [["p50 / p99", ...names(s).map((k) => `${us(s[k].p50)} / ${us(s[k].p99)}`)]]));
    lines.push("");
  }
  const stores = Object.entries(x.stores ?? {});
  if (stores.length > 0) {
    lines.push("One call per step on a store (p50; integration = guarded fresh − (stock step + engine), median of per-round differences):", "");
    lines.push(md(["store, step", "stock step", "stock step + engine", "guarded fresh", "engine in the step", "integration", "fresh / stock"], stores.flatMap(([b, r]) => Object.keys(KINDS).map((kind) => [
      `${b}, ${KINDS[kind]}`,
      us(r.series[`${kind}: stock step`].p50),
      us(r.series[`${kind}: stock step + engine`].p50),
      us(r.series[`${kind}: guarded fresh`].p50),
      us(r[kind].engineInStepUs),
      us(r[kind].integrationUs),
      f(r[kind].freshOverStock),
    ]))));
    lines.push("");
  }
  const p = x.parallel;
  lines.push("Ten tool calls in one AI message, `MemoryStore` (p50 of the step):", "");
  lines.push(md(["step", "stock step", "stock step + engine ×10", "guarded fresh", "guarded replay", "fresh / stock", "replay / stock", "engine in the step", "integration"], Object.entries(KINDS).map(([kind, label]) => [
    label,
    us(p.series[`${kind}: stock step`].p50),
    us(p.series[`${kind}: stock step + engine x10`].p50),
    us(p.series[`${kind}: guarded fresh`].p50),
    us(p.series[`${kind}: guarded replay`].p50),
    f(p[kind].freshOverStock),
    f(p[kind].replayOverStock),
    us(p[kind].engineInStepUs),
    us(p[kind].integrationUs),
  ])));
  return lines.join("\n");
}
