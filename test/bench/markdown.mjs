// Renders test/bench/results.json as the Markdown tables of BENCHMARKS.md and replaces the block
// between `<!-- bench:results:begin -->` and `<!-- bench:results:end -->` in it, so the figures in
// the document are always the ones in results.json:  node test/bench/markdown.mjs [--print]
// The workers section, run on its own (`--sections=workers --out=test/bench/results-workers.json`),
// fills the block between `<!-- bench:workers:begin -->` and `<!-- bench:workers:end -->`; the
// integration section (`--sections=integration --out=test/bench/results-integration.json`) the
// block between `<!-- bench:integration:begin -->` and `<!-- bench:integration:end -->`.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { integrationMarkdown } from "./lib/integration-report.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { meta, targets, results } = JSON.parse(readFileSync(here("./results.json"), "utf8"));

const f = (v, d = 1) => (v === undefined || v === null || Number.isNaN(v) ? "–" : typeof v === "number" ? v.toFixed(d) : String(v));
const us = (v) => (v === undefined ? "–" : v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`);
const md = (head, rows) => [`| ${head.join(" | ")} |`, `| ${head.map((h, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

const out = [];
out.push(`Run \`${meta.runId}\` of ${meta.startedAt.slice(0, 16).replace("T", " ")} UTC, commit \`${meta.commit}\`, Node ${meta.node}, ${meta.cores} cores (${meta.cpu}), ${meta.memoryGiB} GiB; load average ${meta.loadAverageAtStart.map((x) => x.toFixed(1)).join(" / ")} at the start and ${meta.loadAverageAtEnd.map((x) => x.toFixed(1)).join(" / ")} at the end; ${meta.options.rounds} rounds. Command: \`${meta.command}\`.`);

out.push("\n### Targets\n");
out.push(md(["target", "measured", "limit", "status"], targets.map((t) => [t.target, f(t.value, 2) + (t.note ? ` (${t.note})` : ""), t.limit, t.met === null ? "not measured" : t.met ? "**met**" : "**missed**"])));

if (results.keys) {
  out.push("\n### Key derivation (per key, p50 / p99)\n");
  const rows = [];
  for (const [size, r] of Object.entries(results.keys)) {
    for (const [step, x] of Object.entries(r)) if (typeof x === "object") rows.push([`${size} (${r.bytes} B of JSON)`, step, us(x.p50), us(x.p99)]);
  }
  out.push(md(["arguments", "step", "p50", "p99"], rows));
}

if (results.overhead) {
  out.push("\n### Guarded call per backend, sequential (p50 / p99)\n");
  const series = ["bare", "floor fresh", "ours fresh", "floor replay", "ours replay"];
  out.push(md(["backend", ...series, "fresh − bare", "replay − bare", "fresh − floor", "fresh / floor", "replay / floor", "round trips fresh / replay"], Object.entries(results.overhead).map(([b, o]) => [
    b,
    ...series.map((s) => `${us(o.sequential[s].p50)} / ${us(o.sequential[s].p99)}`),
    us(o.freshOverheadUs),
    us(o.replayOverheadUs),
    us(o.freshMinusFloorUs ?? o.sequential["ours fresh"].p50 - o.sequential["floor fresh"].p50),
    f(o.freshOverFloor, 2),
    f(o.replayOverFloor, 2),
    o.roundTrips ? `${o.roundTrips.fresh} / ${o.roundTrips.replay}` : "–",
  ])));
  for (const [b, o] of Object.entries(results.overhead)) {
    const alt = o.sequential["floor replay, select first"];
    if (alt) out.push(`\n${b}: the replay floor with the select first (no write lock taken): ${us(alt.p50)} p50 sequential, ${us(o.concurrent16["floor replay, select first"].p50)} and ${Math.round(o.concurrent16["floor replay, select first"].perSecond).toLocaleString("en")}/s with 16 callers.`);
  }
  if (Object.values(results.overhead).some((o) => o.sequential["ours fresh + live"])) {
    out.push("\n### Live detection: a fresh call with `liveDetection` on (p50; no repeat found, the check alone)\n");
    out.push(md(["backend", "ours fresh", "ours fresh + live", "live − fresh", "live / fresh", "live / fresh, x16", "round trips fresh / fresh + live"], Object.entries(results.overhead).filter(([, o]) => o.sequential["ours fresh + live"]).map(([b, o]) => [
      b,
      us(o.sequential["ours fresh"].p50),
      us(o.sequential["ours fresh + live"].p50),
      us(o.liveMinusFreshUs),
      f(o.liveOverFresh, 2),
      f(o.concurrentLiveOverFresh, 2),
      o.roundTrips?.liveFresh !== undefined ? `${o.roundTrips.fresh} / ${o.roundTrips.liveFresh}` : "–",
    ])));
  }
  out.push("\n### Guarded call per backend, 16 concurrent callers (p50, calls/s)\n");
  out.push(md(["backend", ...series.slice(1), "fresh / floor", "replay / floor"], Object.entries(results.overhead).map(([b, o]) => [
    b,
    ...series.slice(1).map((s) => `${us(o.concurrent16[s].p50)}, ${Math.round(o.concurrent16[s].perSecond).toLocaleString("en")}/s`),
    f(o.concurrentFreshOverFloor, 2),
    f(o.concurrentReplayOverFloor, 2),
  ])));
}

if (results.peers) {
  out.push("\n### Peers: same tool, same arguments (p50; overhead = p50 − bare; × = their overhead / ours)\n");
  const rows = [];
  for (const [where, { series, overheadRatios }] of Object.entries(results.peers)) {
    const bare = series.bare.p50;
    for (const lib of ["ours", "powertools", "node-idempotency"]) {
      const cell = (kind) => {
        const x = series[`${lib} ${kind}`];
        if (!x) return "–";
        const ratio = lib === "ours" ? "" : `, ×${f(overheadRatios[`${lib} ${kind}`], 2)}`;
        return `${us(x.p50)} (+${us(x.p50 - bare)}${ratio})${x.perSecond ? `, ${Math.round(x.perSecond).toLocaleString("en")}/s` : ""}`;
      };
      rows.push([where.replace(" seq", ", sequential").replace(" x16", ", 16 callers"), lib, cell("fresh"), cell("replay")]);
    }
  }
  out.push(md(["store, mode", "library", "fresh call", "replay"], rows));
}

if (results.alloc) {
  out.push("\n### Bytes allocated per guarded call, memory store (beyond the bare call; exact counts, no GC inside a sample)\n");
  out.push(md(["library", "fresh call", "replay"], ["ours", "powertools", "node-idempotency"].filter((l) => results.alloc[l]).map((l) => [l, `${Math.round(results.alloc[l].freshBytes).toLocaleString("en")} B`, `${Math.round(results.alloc[l].replayBytes).toLocaleString("en")} B`])));
}

if (results.audit) {
  out.push("\n### Audit sinks: a fresh call with and without one, on the same store (p50; ratio = median of per-round ratios)\n");
  out.push(md(["store + sink", "fresh", "fresh + audit", "added", "ratio", "16 callers: fresh, calls/s", "16 callers: + audit, calls/s", "16 callers: ratio"], Object.entries(results.audit).map(([b, x]) => [
    `${b} + ${x.sink}`,
    us(x.sequential["ours fresh"].p50),
    us(x.sequential["ours fresh + audit"].p50),
    us(x.addedUs),
    f(x.ratio, 2),
    `${us(x.concurrent16["ours fresh"].p50)}, ${Math.round(x.concurrent16["ours fresh"].perSecond).toLocaleString("en")}/s`,
    `${us(x.concurrent16["ours fresh + audit"].p50)}, ${Math.round(x.concurrent16["ours fresh + audit"].perSecond).toLocaleString("en")}/s`,
    f(x.concurrentRatio, 2),
  ])));
}

if (results.duplicates) {
  out.push("\n### 16 concurrent calls with one key (tool takes 50 ms)\n");
  out.push(md(["setup", "bursts", "max executions per key", "what the 16 callers got (all bursts)", "slowest burst"], results.duplicates.map((r) => [r.setup, r.bursts, r.maxExecutionsPerKey, Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(", "), `${Math.round(r.msMax)} ms`])));
}

if (results.scale) {
  out.push("\n### Scale\n");
  const rows = [];
  const m = results.scale.memoryStore;
  if (m) rows.push(["MemoryStore heap per 100 k completed records", `${(m.heapBytesPer100k / 2 ** 20).toFixed(1)} MiB`, `${Math.round(m.heapBytesPer100k / 100_000)} B per record; RSS +${(m.rssBytesPer100k / 2 ** 20).toFixed(0)} MiB`]);
  const p = results.scale.postgres;
  if (p) {
    for (const [name, x] of Object.entries(p.claims)) rows.push([`Postgres ${name}`, `${us(x.p50)} p50`, `p99 ${us(x.p99)}`]);
    rows.push([`Postgres claim p50 at ${p.records.toLocaleString("en")} / at 1 k`, f(p.largeOverSmall, 2), "median of per-round ratios"]);
    rows.push([`Postgres purge() of ${p.purged.toLocaleString("en")} expired records`, `${p.purgeSeconds.toFixed(1)} s`, `${Math.round(p.purgePerSecond).toLocaleString("en")} records/s; filling the table took ${p.fillSeconds.toFixed(0)} s`]);
  }
  out.push(md(["measure", "value", "detail"], rows));
}

const block = out.join("\n");

/** The workers block, from results-workers.json (or results.json when the full run had it). */
function workersBlock() {
  const file = here("./results-workers.json");
  const src = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { meta, results };
  const w = src.results.workers;
  if (!w) return undefined;
  const m = src.meta;
  const lines = [
    `Run \`${m.runId}\` of ${m.startedAt.slice(0, 16).replace("T", " ")} UTC, commit \`${m.commit}\`, ${m.cores} cores; load average ${m.loadAverageAtStart.map((x) => x.toFixed(1)).join(" / ")} at the start and ${m.loadAverageAtEnd.map((x) => x.toFixed(1)).join(" / ")} at the end; ${m.options.workerSeconds} s per cell, 4 calls in flight per process. Command: \`${m.command}\`.`,
    "",
  ];
  const backends = Object.keys(w);
  const ns = [...new Set(backends.flatMap((b) => w[b].runs.map((r) => r.workers)))].sort((a, b) => a - b);
  lines.push(md(["backend", ...ns.map((n) => `${n} workers: calls/s, p50 / p99`), "failures", "bytes per record", "records per GB"], backends.map((b) => [
    b,
    ...ns.map((n) => {
      const r = w[b].runs.find((x) => x.workers === n);
      return r ? `${Math.round(r.perSecond).toLocaleString("en")}, ${f(r.p50Ms, 1)} / ${f(r.p99Ms, 0)} ms` : "–";
    }),
    String(w[b].runs.reduce((s, r) => s + r.failures, 0)),
    f(w[b].bytesPerRecord, 0),
    w[b].recordsPerGB ? Math.round(w[b].recordsPerGB).toLocaleString("en") : "–",
  ])));
  return lines.join("\n");
}

const workers = workersBlock();
/** The integration block, from results-integration.json (or results.json when the full run had it). */
const integrationFile = here("./results-integration.json");
const integrationBlock = integrationMarkdown(existsSync(integrationFile) ? JSON.parse(readFileSync(integrationFile, "utf8")) : { meta, results });
if (process.argv.includes("--print")) {
  console.log(block);
  if (workers) console.log(`\n${workers}`);
  if (integrationBlock) console.log(`\n${integrationBlock}`);
} else {
  const file = here("../../BENCHMARKS.md");
  let doc = readFileSync(file, "utf8");
  const re = /(<!-- bench:results:begin -->\n)[\s\S]*?(<!-- bench:results:end -->)/;
  if (!re.test(doc)) throw new Error("BENCHMARKS.md has no <!-- bench:results:begin/end --> block");
  doc = doc.replace(re, (_, begin, end) => `${begin}${block}\n${end}`);
  const rw = /(<!-- bench:workers:begin -->\n)[\s\S]*?(<!-- bench:workers:end -->)/;
  if (workers && rw.test(doc)) doc = doc.replace(rw, (_, begin, end) => `${begin}${workers}\n${end}`);
  const ri = /(<!-- bench:integration:begin -->\n)[\s\S]*?(<!-- bench:integration:end -->)/;
  if (integrationBlock && ri.test(doc)) doc = doc.replace(ri, (_, begin, end) => `${begin}${integrationBlock}\n${end}`);
  writeFileSync(file, doc);
  console.log(`updated ${file}`);
}
