// What an audit sink adds to a fresh guarded call, on the same store: the JSON-lines file with
// the memory store, SqliteAuditLog in the SQLite store's own file, PostgresAuditLog on the
// Postgres server. The two engines share the store; the series are interleaved round by round.
// Every sink buffers and writes on the next turn of the event loop: a call pays for building its
// entry and queueing it, the batch's write is shared by the calls of that turn.
import { MemoryStore } from "@agent-idempotency/core";
import { engineOf } from "../lib/backends.mjs";
import { interleave, roundRatio } from "../lib/measure.mjs";
import { args200, bookCalendar, runOurs } from "../lib/workload.mjs";

const SIZES = { memory: 4000, sqlite: 400, postgres: 400 };
const BLOCKS = { memory: 32, sqlite: 4, postgres: 4 };

async function measure(backend, sink, { rounds, scale, callers }) {
  const n = Math.max(50, Math.round(SIZES[backend.name] * scale * (callers > 1 ? 0.5 : 1)));
  const store = backend.name === "memory" ? new MemoryStore() : backend.store;
  const plain = engineOf(store);
  const audited = engineOf(store, { audit: sink });
  const base = (callers > 1 ? 40_000_000 : 30_000_000) + (backend.name === "memory" ? 0 : 1_000_000);
  const fresh = (r, k) => base + (r + 1) * 2 * n + k * n;
  return interleave(
    {
      bare: () => (i) => bookCalendar(args200(i)),
      "ours fresh": (r) => (i) => runOurs(plain, args200(fresh(r, 0) + i)),
      "ours fresh + audit": (r) => (i) => runOurs(audited, args200(fresh(r, 1) + i)),
    },
    { rounds, n, callers, block: BLOCKS[backend.name] },
  );
}

export async function auditSection(backends, opts, log) {
  const results = {};
  const rows = [];
  for (const backend of backends.filter((b) => b.auditSink)) {
    log(`  audit: ${backend.name}`);
    const sink = backend.auditSink();
    try {
      await sink.setup?.();
      const seq = await measure(backend, sink, { ...opts, callers: 1 });
      const conc = await measure(backend, sink, { ...opts, callers: 16 });
      await sink.flush?.();
      const kind = sink.constructor.name;
      results[backend.name] = {
        sink: kind,
        sequential: seq,
        concurrent16: conc,
        addedUs: seq["ours fresh + audit"].p50 - seq["ours fresh"].p50,
        ratio: roundRatio(seq["ours fresh + audit"], seq["ours fresh"]),
        concurrentRatio: roundRatio(conc["ours fresh + audit"], conc["ours fresh"]),
      };
      for (const [mode, series] of [["seq", seq], ["x16", conc]]) {
        for (const [name, s] of Object.entries(series)) rows.push({ backend: `${backend.name} + ${kind}`, mode, series: name, p50: s.p50, p99: s.p99, perSecond: s.perSecond });
      }
    } finally {
      await sink.close?.().catch((e) => log(`  audit: closing the ${backend.name} sink failed: ${e?.message}`));
    }
  }
  return { results, rows };
}
