// Before and after, in one process: the guarded graph steps of a saved build of the langgraph and
// langchain packages next to the current build's, both next to the stock step, interleaved round
// by round (so the load lands on both). How issue 17's before/after table was measured.
//
//   git checkout <commit> -- packages/langgraph/src packages/langchain/src && pnpm build
//   node test/bench/compare-integration.mjs --save-baseline   # copies both dists aside (each package's node_modules/.bench-baseline)
//   git checkout HEAD -- packages/langgraph/src packages/langchain/src && pnpm build
//   node test/bench/compare-integration.mjs [--rounds=N] [--scale=F]
//
// A build that keeps its own AsyncLocalStorage (before issue 17) enables it for the whole process,
// so every step here, the stock one included, pays its tax: ratios to the stock step then
// understate what the old build cost on its own.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MemoryStore } from "@agent-idempotency/core";
import { IdempotentToolNode } from "@agent-idempotency/langgraph";
import { idempotencyMiddleware } from "@agent-idempotency/langchain";
import { engineOf } from "./lib/backends.mjs";
import { agentStep, bookTool, stepConfig, stepGraph, stepInput, stockNode } from "./lib/graphs.mjs";
import { interleave, median, roundRatio } from "./lib/measure.mjs";

const argv = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")).map(([k, v]) => [k, v ?? "true"]));
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
// Inside each package's node_modules, so the saved copies resolve their dependencies as the package does.
const saved = (pkg) => here(`../../packages/${pkg}/node_modules/.bench-baseline/`);

if (argv["save-baseline"]) {
  for (const pkg of ["langgraph", "langchain"]) {
    rmSync(saved(pkg), { recursive: true, force: true });
    cpSync(here(`../../packages/${pkg}/dist/`), saved(pkg), { recursive: true });
  }
  // The saved middleware must run the saved node's code, not the current build's.
  for (const f of readdirSync(saved("langchain")).filter((f) => f.endsWith(".js"))) {
    const file = `${saved("langchain")}${f}`;
    const rewritten = readFileSync(file, "utf8")
      .replaceAll('"@agent-idempotency/langgraph/internal"', '"../../../langgraph/node_modules/.bench-baseline/entries/internal.js"')
      .replaceAll('"@agent-idempotency/langgraph"', '"../../../langgraph/node_modules/.bench-baseline/index.js"');
    writeFileSync(file, rewritten);
  }
  console.log("saved the current langgraph and langchain builds (packages/*/node_modules/.bench-baseline)");
  process.exit(0);
}
if (!existsSync(saved("langchain"))) throw new Error("no saved baseline: build the old commit and run with --save-baseline first");
const before = {
  Node: (await import(`${saved("langgraph")}index.js`)).IdempotentToolNode,
  middleware: (await import(`${saved("langchain")}index.js`)).idempotencyMiddleware,
};
const after = { Node: IdempotentToolNode, middleware: idempotencyMiddleware };

const rounds = Number(argv.rounds ?? 7);
const scale = Number(argv.scale ?? 1);
const graphOf = (build, kind, engine) => (kind === "node" ? stepGraph(new build.Node([bookTool], { idempotency: engine })) : agentStep([build.middleware({ idempotency: engine, tools: [bookTool] })]));

/** One table: stock, and before/after for each mode, `calls` tool calls per step. */
async function table(kind, calls, modes) {
  const n = Math.max(20, Math.round((calls === 1 ? 300 : 80) * scale));
  const variants = { stock: null };
  let base = 10_000_000;
  const REPLAY = {};
  const out = {};
  const stock = kind === "node" ? stockNode() : agentStep([]);
  const step = (graph, from) => (r) => ((at) => (i) => graph.invoke(stepInput(at + i, calls), stepConfig))(from(r));
  variants.stock = step(stock, (r) => 1_000_000 + (r + 1) * n);
  for (const [label, build] of [["before", before], ["after", after]]) {
    for (const mode of modes) {
      const engine = engineOf(new MemoryStore(), mode === "passthrough" ? { tools: {} } : {});
      const graph = graphOf(build, kind, engine);
      const b = (base += 1_000_000);
      if (mode === "replay") {
        REPLAY[label] = b;
        for (let i = 0; i < n; i++) await graph.invoke(stepInput(b + i, calls), stepConfig);
      }
      variants[`${mode}, ${label}`] = step(graph, mode === "replay" ? () => b : (r) => b + (r + 1) * n);
    }
  }
  const s = await interleave(variants, { rounds, n, block: calls === 1 ? 16 : 4 });
  for (const mode of modes) {
    const [b, a] = [s[`${mode}, before`], s[`${mode}, after`]];
    out[mode] = {
      before: roundRatio(b, s.stock),
      after: roundRatio(a, s.stock),
      beforeUs: median(b.rounds.map((x, i) => x - s.stock.rounds[i])),
      afterUs: median(a.rounds.map((x, i) => x - s.stock.rounds[i])),
      stockUs: s.stock.p50,
    };
  }
  return out;
}

const f = (v, d = 3) => v.toFixed(d);
console.log(`| step | mode | stock step p50 | before: / stock, − stock | after: / stock, − stock |`);
console.log(`| --- | --- | ---: | ---: | ---: |`);
for (const [kind, label] of [["node", "IdempotentToolNode"], ["middleware", "idempotencyMiddleware"]]) {
  for (const [calls, modes] of [[1, ["fresh", "replay", "passthrough"]], [10, ["fresh"]]]) {
    const t = await table(kind, calls, modes);
    for (const [mode, x] of Object.entries(t)) {
      console.log(`| ${label}${calls > 1 ? ", ten calls" : ""} | ${mode} | ${f(x.stockUs, 0)} µs | ${f(x.before)}, ${f(x.beforeUs, 0)} µs | ${f(x.after)}, ${f(x.afterUs, 0)} µs |`);
    }
  }
}
