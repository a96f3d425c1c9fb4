// 16 concurrent calls of the same logical action (same arguments, same key) while the tool takes
// 50 ms: how many times does the side effect run, and what do the 15 duplicates get back?
// Counted, not assumed: the tool increments a counter. Ours runs two ways: one engine (its
// in-process single flight answers the duplicates), and 16 engines on 16 store instances (every
// duplicate goes through the store, as 16 processes would).
import { engineOf } from "../lib/backends.mjs";
import { openPeers } from "../lib/peers.mjs";
import { args200 } from "../lib/workload.mjs";

const CALLERS = 16;
const TOOL_MS = 50;

/** One burst: `CALLERS` calls at once through `callers[i]`; returns executions and what came back. */
async function burst(callers, id) {
  let executions = 0;
  const tool = async (a) => {
    executions++;
    await new Promise((r) => setTimeout(r, TOOL_MS));
    return { booking_id: `b_${a.request_no}` };
  };
  const t0 = performance.now();
  const settled = await Promise.allSettled(callers.map((call) => call(args200(id), `dup-${id}`, tool)));
  const outcomes = {};
  for (const s of settled) {
    const label = s.status === "fulfilled" ? (s.value?.outcome ?? "ok") : (s.reason?.code ?? s.reason?.name ?? "error");
    outcomes[label] = (outcomes[label] ?? 0) + 1;
  }
  return { executions, outcomes, ms: performance.now() - t0 };
}

/** Sums several bursts into one row. */
async function trial(label, callers, trials, idBase) {
  const row = { setup: label, bursts: trials, executions: [], outcomes: {}, msMax: 0 };
  for (let t = 0; t < trials; t++) {
    const b = await burst(callers, idBase + t);
    row.executions.push(b.executions);
    for (const [k, v] of Object.entries(b.outcomes)) row.outcomes[k] = (row.outcomes[k] ?? 0) + v;
    row.msMax = Math.max(row.msMax, b.ms);
  }
  row.maxExecutionsPerKey = Math.max(...row.executions);
  return row;
}

const ours = (engine) => (a, _key, tool) => engine.run({ action: "book_calendar", args: a, sessionId: "s-dup" }, () => tool(a));

export async function duplicates(backends, { trials }, log) {
  const rows = [];
  let id = 70_000_000;
  for (const backend of backends) {
    log(`  duplicates: ours on ${backend.name}`);
    rows.push(await trial(`ours ${backend.name}, 1 engine`, Array.from({ length: CALLERS }, () => ours(backend.engine)), trials, (id += 100)));
    const stores = Array.from({ length: CALLERS }, () => backend.sibling());
    try {
      const callers = stores.map((s) => ours(engineOf(s)));
      rows.push(await trial(`ours ${backend.name}, 16 engines/stores`, callers, trials, (id += 100)));
    } finally {
      for (const s of stores) if (s !== backend.store) await s.close().catch(() => undefined);
    }
  }
  for (const env of backends.map((b) => b.name).filter((n) => n === "memory" || n === "redis")) {
    const list = await openPeers(env).catch((e) => (log(`  duplicates: peers on ${env} skipped (${e?.message})`), []));
    try {
      for (const p of list) {
        log(`  duplicates: ${p.name} on ${env}`);
        // One guarded function per burst (the tool and its counter belong to the burst), shared
        // by the 16 callers of that burst, as one process would share it.
        const per = (o) => {
          const cache = new Map();
          return Array.from({ length: CALLERS }, () => (a, key, tool) => {
            if (!cache.has(tool)) cache.set(tool, p.make(tool, o));
            return cache.get(tool).call(a, key);
          });
        };
        rows.push(await trial(`${p.name} ${env}, defaults`, per(), trials, (id += 100)));
        if (p.name === "node-idempotency") {
          rows.push(await trial(`${p.name} ${env}, inProgressStrategy.wait`, per({ inProgressStrategy: { wait: true } }), trials, (id += 100)));
        }
      }
    } finally {
      for (const p of list) await p.close().catch(() => undefined);
    }
  }
  return { rows };
}
