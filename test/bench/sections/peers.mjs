// Ours next to Powertools' idempotency and node-idempotency: same tool, same arguments, same
// concurrency, same machine, same run, interleaved. Overhead = guarded p50 - bare p50, and the
// ratio is the median over rounds of (peer overhead / our overhead).
import { MemoryStore } from "@agent-idempotency/core";
import { engineOf } from "../lib/backends.mjs";
import { interleave, overheadRatio, overheadShare, throughputRatio } from "../lib/measure.mjs";
import { openPeers } from "../lib/peers.mjs";
import { args200, bookCalendar, runOurs } from "../lib/workload.mjs";

const SIZES = { memory: 3000, redis: 500 };

async function measure(env, engine, peers, { rounds, scale, callers }) {
  const n = Math.max(50, Math.round(SIZES[env] * scale * (callers > 1 ? 0.5 : 1)));
  const base = callers > 1 ? 30_000_000 : 20_000_000;
  const replayBase = base + 9_000_000;
  const guarded = peers.map((p) => [p.name, p.make(bookCalendar)]);
  const key = (i) => `k-${i}`;
  for (let i = 0; i < n; i++) {
    await runOurs(engine, args200(replayBase + i));
    for (const [, g] of guarded) await g.call(args200(replayBase + i), key(replayBase + i));
  }
  const fresh = (r) => base + (r + 1) * n;
  const variants = {
    bare: () => (i) => bookCalendar(args200(i)),
    "ours fresh": (r) => (i) => runOurs(engine, args200(fresh(r) + i)),
    "ours replay": () => (i) => runOurs(engine, args200(replayBase + i)),
  };
  for (const [name, g] of guarded) {
    variants[`${name} fresh`] = (r) => (i) => g.call(args200(fresh(r) + i), key(fresh(r) + i));
    variants[`${name} replay`] = () => (i) => g.call(args200(replayBase + i), key(replayBase + i));
  }
  return interleave(variants, { rounds, n, callers, block: env === "memory" ? 32 : 8 });
}

/** `backends` must hold the memory and/or redis backend (their engines are reused). */
export async function peers(backends, opts, log) {
  const results = {};
  const rows = [];
  for (const backend of backends.filter((b) => b.name === "memory" || b.name === "redis")) {
    let list;
    try {
      list = await openPeers(backend.name);
    } catch (error) {
      log(`  peers on ${backend.name}: skipped (${error?.message ?? error})`);
      continue;
    }
    try {
      for (const callers of [1, 16]) {
        log(`  peers: ${backend.name}, ${callers === 1 ? "sequential" : "16 callers"}`);
        // In memory, a store as empty as the peers' own: the overhead section's records would
        // make our Map (and only ours) larger and colder.
        const engine = backend.name === "memory" ? engineOf(new MemoryStore()) : backend.engine;
        const s = await measure(backend.name, engine, list, { ...opts, callers });
        const ratios = {};
        const shares = {};
        const throughput = {};
        for (const p of list) {
          for (const kind of ["fresh", "replay"]) {
            ratios[`${p.name} ${kind}`] = overheadRatio(s[`ours ${kind}`], s[`${p.name} ${kind}`], s.bare);
            shares[`${p.name} ${kind}`] = overheadShare(s[`ours ${kind}`], s[`${p.name} ${kind}`], s.bare);
            if (callers > 1) throughput[`${p.name} ${kind}`] = throughputRatio(s[`ours ${kind}`], s[`${p.name} ${kind}`]);
          }
        }
        const mode = callers === 1 ? "seq" : "x16";
        // overheadRatios: theirs / ours; overheadShares: ours / theirs; throughputRatios: ours / theirs.
        results[`${backend.name} ${mode}`] = { series: s, overheadRatios: ratios, overheadShares: shares, throughputRatios: throughput };
        for (const [name, x] of Object.entries(s)) {
          rows.push({ backend: backend.name, mode, series: name, p50: x.p50, p99: x.p99, perSecond: x.perSecond, overheadUs: x.p50 - s.bare.p50, vsOurs: name.endsWith("fresh") || name.endsWith("replay") ? ratios[name] : undefined });
        }
      }
    } finally {
      for (const p of list) await p.close().catch(() => undefined);
    }
  }
  return { results, rows };
}
