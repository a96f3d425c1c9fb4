// Where the time of a guarded graph step goes (issue 17), next to the same step with the stock node.
//
//   node test/bench/profile-step.mjs phases  [node|middleware] [fresh|replay|passthrough] [steps]
//   node test/bench/profile-step.mjs profile [node|middleware] [fresh|replay|passthrough] [blocks] [rows]
//
// `phases` stamps the layers of every step (the tools node's runTool, engine.run and the function it
// runs, the tool's invoke) and prints the median of each phase, stock and guarded steps taking
// turns. `profile` runs stock and guarded steps in alternating windows under one CPU profile (the
// inspector's, 50 µs samples) and attributes each window's samples to its variant: the difference
// per step, by package and by function. One process for both, so the machine's load lands on both.
// Not a benchmark: stamps and the profiler add their own cost; read the shares, not the totals.
import { Session } from "node:inspector/promises";
import { MemoryStore } from "@agent-idempotency/core";
import { engineOf } from "./lib/backends.mjs";
import { agentStep, bookTool, engineCall, guardedAgent, idempotentNode, stepConfig, stepInput, stockNode } from "./lib/graphs.mjs";
import { median } from "./lib/measure.mjs";

const [what = "phases", kind = "node", mode = "fresh", N = what === "phases" ? "3000" : "200", ROWS = "40"] = process.argv.slice(2);
const engine = engineOf(new MemoryStore(), mode === "passthrough" ? { tools: {} } : {});
const node = kind === "node";
const stock = node ? stockNode() : agentStep([]);
const guarded = node ? idempotentNode(engine) : guardedAgent(engine);
const REPLAY = 9_000_000;
const RECORDED = 200;
for (let i = 0; i < RECORDED; i++) await guarded.invoke(stepInput(REPLAY + i), stepConfig);
let next = 1_000_000;
const input = (variant, i) => stepInput(variant === "guarded" && mode === "replay" ? REPLAY + (i % RECORDED) : next++);
for (let i = 0; i < 300; i++) for (const g of [stock, guarded]) await g.invoke(input(g === stock ? "stock" : "guarded", i), stepConfig);

if (what === "phases") await phases();
else await profile();

async function phases() {
  const T = {};
  const stamp = (k) => (T[k] = performance.now());
  // The tools node's runTool: LangGraph's ToolNode (IdempotentToolNode calls it through super),
  // or createAgent's, whose middleware chain runs inside it.
  const toolNodeClass = stock.nodes.tools.bound.constructor;
  const outerClass = guarded.nodes.tools.bound.constructor;
  const wrap = (proto, name, before, after) => {
    const fn = proto[name];
    proto[name] = async function (...a) {
      before(this);
      try {
        return await fn.apply(this, a);
      } finally {
        after(this);
      }
    };
  };
  let depth = 0;
  wrap(outerClass.prototype, "runTool", () => depth++ === 0 && stamp("runToolIn"), () => --depth === 0 && stamp("runToolOut"));
  if (outerClass !== toolNodeClass) wrap(toolNodeClass.prototype, "runTool", () => depth++ === 0 && stamp("runToolIn"), () => --depth === 0 && stamp("runToolOut"));
  const invoke = bookTool.invoke;
  bookTool.invoke = async function (...a) {
    stamp("toolIn");
    try {
      return await invoke.apply(this, a);
    } finally {
      stamp("toolOut");
    }
  };
  const run = engine.run;
  engine.run = (call, fn) => {
    stamp("engineIn");
    return run(call, async (ctx) => {
      stamp("fnIn");
      try {
        return await fn(ctx);
      } finally {
        stamp("fnOut");
      }
    }).finally(() => stamp("engineOut"));
  };
  const cold = engineOf(new MemoryStore());
  const rows = {};
  const add = (k, v) => (rows[k] ??= []).push(v * 1000);
  for (let i = 0; i < Number(N); i++) {
    for (const k of Object.keys(T)) delete T[k];
    let t = performance.now();
    await stock.invoke(input("stock", i), stepConfig);
    let step = performance.now() - t;
    add("stock: step", step);
    add("stock: runTool", T.runToolOut - T.runToolIn);
    add("stock: tool.invoke", T.toolOut - T.toolIn);
    add("stock: step outside runTool", step - (T.runToolOut - T.runToolIn));
    // The engine alone right after a stock step: its cost with the caches a step leaves it.
    t = performance.now();
    await engineCall(cold, 50_000_000 + i);
    add("engine alone, after a stock step", performance.now() - t);
    for (const k of Object.keys(T)) delete T[k];
    t = performance.now();
    await guarded.invoke(input("guarded", i), stepConfig);
    step = performance.now() - t;
    add("guarded: step", step);
    add("guarded: runTool", T.runToolOut - T.runToolIn);
    add("guarded: step outside runTool", step - (T.runToolOut - T.runToolIn));
    add("  runTool in -> engine.run (parse, scope)", T.engineIn - T.runToolIn);
    if (T.fnIn !== undefined) {
      add("  engine.run -> fn (key, claim)", T.fnIn - T.engineIn);
      if (T.toolIn !== undefined) {
        add("  fn -> tool.invoke (context, config)", T.toolIn - T.fnIn);
        add("  tool.invoke", T.toolOut - T.toolIn);
        add("  tool.invoke -> fn returns (record form)", T.fnOut - T.toolOut);
      }
      add("  fn returns -> engine.run returns (complete)", T.engineOut - T.fnOut);
    } else if (T.engineOut !== undefined) add("  engine.run (replay)", T.engineOut - T.engineIn);
    if (T.engineOut !== undefined) add("  engine.run returns -> runTool returns", T.runToolOut - T.engineOut);
  }
  console.log(`${kind}, ${mode}: medians of ${N} steps (µs)`);
  for (const [k, v] of Object.entries(rows)) console.log(`${k.padEnd(48)} ${median(v).toFixed(1).padStart(8)}`);
}

async function profile() {
  const s = new Session();
  s.connect();
  await s.post("Profiler.enable");
  await s.post("Profiler.setSamplingInterval", { interval: 50 });
  await s.post("Profiler.start");
  const windows = [];
  const steps = { stock: 0, guarded: 0 };
  const now = () => Number(process.hrtime.bigint() / 1000n);
  for (let b = 0; b < Number(N); b++) {
    for (const name of b % 2 ? ["stock", "guarded"] : ["guarded", "stock"]) {
      const g = name === "stock" ? stock : guarded;
      const t0 = now();
      for (let i = 0; i < 10; i++) await g.invoke(input(name, b * 10 + i), stepConfig);
      windows.push([t0, now(), name]);
      steps[name] += 10;
    }
  }
  const { profile: p } = await s.post("Profiler.stop");
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const acc = { stock: new Map(), guarded: new Map() };
  const total = { stock: 0, guarded: 0 };
  const group = (url) => {
    if (url.includes("/packages/")) return `ours: ${url.split("/packages/")[1].split("/")[0]}`;
    if (url.startsWith("node:")) return "node internals";
    const m = /node_modules\/(@[^/]+\/[^/]+|[^/.][^/]*)\//.exec(url);
    return m ? m[1] : url ? "bench" : "(native: GC, builtins)";
  };
  let t = p.startTime;
  let w = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    while (w < windows.length && windows[w][1] < t) w++;
    if (w >= windows.length || windows[w][0] > t) continue;
    const name = windows[w][2];
    const dt = p.timeDeltas[i + 1] ?? 0;
    const cf = byId.get(p.samples[i]).callFrame;
    const fn = `${cf.functionName || "(anonymous)"} ${cf.url.split("/").slice(-2).join("/")}:${cf.lineNumber + 1}`;
    for (const k of [fn, `[${group(cf.url)}]`]) acc[name].set(k, (acc[name].get(k) ?? 0) + dt);
    total[name] += dt;
  }
  const per = (name, k) => (acc[name].get(k) ?? 0) / steps[name];
  console.log(`${kind}, ${mode}: stock ${(total.stock / steps.stock).toFixed(0)} µs/step, guarded ${(total.guarded / steps.guarded).toFixed(0)} µs/step (profiled; guarded − stock by package, then by function)`);
  const diffs = [...new Set([...acc.stock.keys(), ...acc.guarded.keys()])].map((k) => [k, per("guarded", k) - per("stock", k), per("stock", k)]);
  for (const [k, d] of diffs.filter(([k]) => k.startsWith("[")).sort((a, b) => b[1] - a[1])) console.log(`${d.toFixed(1).padStart(8)}  ${k}`);
  console.log("");
  for (const [k, d, base] of diffs.filter(([k]) => !k.startsWith("[")).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, Number(ROWS))) console.log(`${d.toFixed(1).padStart(8)} ${base.toFixed(1).padStart(8)}  ${k}`);
}
