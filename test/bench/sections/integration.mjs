// What a guarded call costs where users see it, the graph step (issue 17): the tools step of a
// LangGraph graph with the stock ToolNode and with IdempotentToolNode, and the tools step of a
// createAgent agent without and with idempotencyMiddleware, side by side in interleaved rounds.
//
// Next to each step, "stock + engine": the stock step followed by the engine alone
// (createIdempotency().run, same store, same call). That is the engine's cost where it runs, in a
// step, with the caches the step left it; guarded − (stock + engine) is what the integration adds.
// The engine alone in a loop of its own ("engine, hot") is the figure the overhead section reports.
import { MemoryStore } from "@agent-idempotency/core";
import { engineOf } from "../lib/backends.mjs";
import { agentStep, engineCall, guardedAgent, idempotentNode, noopAgent, stepConfig, stepInput, stockNode } from "../lib/graphs.mjs";
import { interleave, median, roundRatio } from "../lib/measure.mjs";
import { args200, bookCalendar } from "../lib/workload.mjs";

/** Steps per round, per table: enough for a stable p50, short enough to interleave often. */
const SIZES = { memory: 300, sqlite: 250, redis: 300, parallel: 80 };
/** Steps per turn: a step takes a millisecond or more, so turns are short. */
const BLOCKS = { memory: 16, sqlite: 4, redis: 8, parallel: 4 };

/** Median over rounds of `a - b` (µs). */
const diff = (a, b) => median(a.rounds.map((x, i) => x - b.rounds[i]));

/** Every step of one variant takes its own actions: `base + round * n + i`. */
const actions = (base, n) => (r) => base + (r + 1) * n;

/** Records `n` actions (from `base`) through `graph`, for the replay series. */
async function record(graph, base, n, calls = 1) {
  for (let i = 0; i < n; i++) await graph.invoke(stepInput(base + i, calls), stepConfig);
}

/** One call per step on a MemoryStore: node and middleware, fresh, replay and passthrough. */
async function memorySteps(kind, opts) {
  const n = Math.max(40, Math.round(SIZES.memory * opts.scale));
  const store = new MemoryStore();
  const engine = engineOf(store);
  const alone = engineOf(store);
  const pass = engineOf(new MemoryStore(), { tools: {} });
  const node = kind === "node";
  const stock = node ? stockNode() : agentStep([]);
  const guarded = node ? idempotentNode(engine) : guardedAgent(engine);
  const passthrough = node ? idempotentNode(pass) : guardedAgent(pass);
  const REPLAY = 90_000_000;
  await record(guarded, REPLAY, n);
  const step = (graph, from) => (r) => ((at) => (i) => graph.invoke(stepInput(at + i), stepConfig))(from(r));
  const variants = {
    "stock step": step(stock, actions(10_000_000, n)),
    "stock step + engine": (r) => {
      const at = actions(20_000_000, n)(r);
      return async (i) => {
        await stock.invoke(stepInput(at + i), stepConfig);
        await engineCall(alone, at + i);
      };
    },
    ...(node ? {} : { "stock step, no-op middleware": step(noopAgent(), actions(30_000_000, n)) }),
    passthrough: step(passthrough, actions(40_000_000, n)),
    "guarded fresh": step(guarded, actions(50_000_000, n)),
    "guarded replay": step(guarded, () => REPLAY),
  };
  if (node) {
    variants["engine, hot"] = (r) => {
      const at = actions(60_000_000, n)(r);
      return (i) => engineCall(alone, at + i);
    };
    variants.bare = () => (i) => bookCalendar(args200(i));
  }
  const s = await interleave(variants, { rounds: opts.rounds, n, block: BLOCKS.memory });
  const stockStep = s["stock step"];
  return {
    series: s,
    freshOverStock: roundRatio(s["guarded fresh"], stockStep),
    replayOverStock: roundRatio(s["guarded replay"], stockStep),
    passthroughOverStock: roundRatio(s.passthrough, stockStep),
    engineInStepUs: diff(s["stock step + engine"], stockStep),
    integrationUs: diff(s["guarded fresh"], s["stock step + engine"]),
    freshMinusStockUs: diff(s["guarded fresh"], stockStep),
    ...(node ? {} : { noopOverStock: roundRatio(s["stock step, no-op middleware"], stockStep) }),
  };
}

/** One call per step on a real store: node and middleware, fresh, next to stock + engine. */
async function storeSteps(backend, opts) {
  const name = backend.name;
  const n = Math.max(20, Math.round(SIZES[name] * opts.scale));
  const engine = engineOf(backend.store);
  const graphs = { node: [stockNode(), idempotentNode(engine)], middleware: [agentStep([]), guardedAgent(engine)] };
  const variants = {};
  let base = 100_000_000;
  for (const [kind, [stock, guarded]] of Object.entries(graphs)) {
    const b = (base += 10_000_000);
    variants[`${kind}: stock step`] = (r) => ((at) => (i) => stock.invoke(stepInput(at + i), stepConfig))(actions(b, n)(r));
    variants[`${kind}: stock step + engine`] = (r) => ((at) => async (i) => {
      await stock.invoke(stepInput(at + i), stepConfig);
      await engineCall(engine, at + i);
    })(actions(b + 3_000_000, n)(r));
    variants[`${kind}: guarded fresh`] = (r) => ((at) => (i) => guarded.invoke(stepInput(at + i), stepConfig))(actions(b + 6_000_000, n)(r));
  }
  const s = await interleave(variants, { rounds: opts.rounds, n, block: BLOCKS[name] });
  const out = { series: s };
  for (const kind of Object.keys(graphs)) {
    const [stock, plus, fresh] = [`${kind}: stock step`, `${kind}: stock step + engine`, `${kind}: guarded fresh`].map((k) => s[k]);
    out[kind] = { engineInStepUs: diff(plus, stock), integrationUs: diff(fresh, plus), freshOverStock: roundRatio(fresh, stock) };
  }
  return out;
}

/** Ten tool calls in one AI message (the ToolNode runs them concurrently), MemoryStore. */
async function parallelSteps(opts) {
  const CALLS = 10;
  const n = Math.max(20, Math.round(SIZES.parallel * opts.scale));
  const kinds = {
    node: (engine) => [stockNode(), idempotentNode(engine)],
    middleware: (engine) => [agentStep([]), guardedAgent(engine)],
  };
  const variants = {};
  // Step indices: a step's j-th call is action index * 10 + j, so steps never share an action.
  let base = 20_000_000;
  for (const [kind, make] of Object.entries(kinds)) {
    const engine = engineOf(new MemoryStore());
    const [stock, guarded] = make(engine);
    const b = (base += 1_000_000);
    const replay = b + 900_000;
    await record(guarded, replay, n, CALLS);
    const step = (graph, from) => (r) => ((at) => (i) => graph.invoke(stepInput(at + i, CALLS), stepConfig))(from(r));
    variants[`${kind}: stock step`] = step(stock, actions(b, n));
    // The engine's ten calls, concurrently, after the stock step: its cost where the guarded step pays it.
    variants[`${kind}: stock step + engine x10`] = (r) => ((at) => async (i) => {
      await stock.invoke(stepInput(at + i, CALLS), stepConfig);
      await Promise.all(Array.from({ length: CALLS }, (_, j) => engineCall(engine, (at + i) * CALLS + j)));
    })(actions(b + 600_000, n)(r));
    variants[`${kind}: guarded fresh`] = step(guarded, actions(b + 300_000, n));
    variants[`${kind}: guarded replay`] = step(guarded, () => replay);
  }
  const s = await interleave(variants, { rounds: opts.rounds, n, block: BLOCKS.parallel });
  const out = { series: s };
  for (const kind of Object.keys(kinds)) {
    const stock = s[`${kind}: stock step`];
    out[kind] = {
      freshOverStock: roundRatio(s[`${kind}: guarded fresh`], stock),
      replayOverStock: roundRatio(s[`${kind}: guarded replay`], stock),
      engineInStepUs: diff(s[`${kind}: stock step + engine x10`], stock),
      integrationUs: diff(s[`${kind}: guarded fresh`], s[`${kind}: stock step + engine x10`]),
    };
  }
  return out;
}

/** Runs the section; returns results and table rows. */
export async function integration(backends, opts, log) {
  const results = {};
  log("  integration: memory, IdempotentToolNode");
  results.node = await memorySteps("node", opts);
  log("  integration: memory, idempotencyMiddleware");
  results.middleware = await memorySteps("middleware", opts);
  results.stores = {};
  for (const backend of backends.filter((b) => b.name === "sqlite" || b.name === "redis")) {
    log(`  integration: ${backend.name}`);
    results.stores[backend.name] = await storeSteps(backend, opts);
  }
  log("  integration: ten parallel calls");
  results.parallel = await parallelSteps(opts);
  const rows = [];
  const push = (table, series) => {
    for (const [name, x] of Object.entries(series)) rows.push({ table, series: name, p50: x.p50, p99: x.p99 });
  };
  push("memory, IdempotentToolNode", results.node.series);
  push("memory, idempotencyMiddleware", results.middleware.series);
  for (const [b, x] of Object.entries(results.stores)) push(b, x.series);
  push("ten calls per step, memory", results.parallel.series);
  return { results, rows };
}
