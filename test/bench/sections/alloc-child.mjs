// Run by alloc.mjs with --expose-gc and a young generation large enough that no collection runs
// while a sample is taken: bytes allocated per call, read from V8's heap statistics before and
// after N calls. A sample during which a GC ran is discarded (a collection would hide garbage),
// so what is left is an exact count, untouched by machine load. Sends one message.
import { PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import { openPeers } from "../lib/peers.mjs";
import { args200, bookCalendar, runOurs, TOOLS } from "../lib/workload.mjs";

const N = 1000;
const SAMPLES = 7;
let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ["gc"] });
const turn = () => new Promise((r) => setTimeout(r, 20)); // GC entries are delivered asynchronously
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median bytes per call of `fn(i)` over samples of N calls (warm, no GC inside a sample). */
async function bytesPerCall(fn) {
  const xs = [];
  let i = 0;
  for (let t = 0; t < SAMPLES * 3 && xs.length < SAMPLES; t++) {
    for (let w = 0; w < 200; w++) await fn(i++);
    globalThis.gc();
    await turn();
    const seen = gcs;
    const before = v8.getHeapStatistics().used_heap_size;
    for (let k = 0; k < N; k++) await fn(i++);
    const after = v8.getHeapStatistics().used_heap_size;
    await turn();
    if (gcs === seen) xs.push((after - before) / N);
  }
  return xs.length ? median(xs) : Number.NaN;
}

const engine = createIdempotency({ store: new MemoryStore(), tools: TOOLS, onWarning: () => undefined });
const [powertools, nodeIdempotency] = await openPeers("memory");
const peers = { powertools: powertools.make(bookCalendar), "node-idempotency": nodeIdempotency.make(bookCalendar) };
// Replays read records written up front (REPLAYS of them, in turn).
const REPLAYS = 2000;
const replayBase = 90_000_000;
for (let i = 0; i < REPLAYS; i++) {
  await runOurs(engine, args200(replayBase + i));
  for (const p of Object.values(peers)) await p.call(args200(replayBase + i), `k-${replayBase + i}`);
}
let fresh = 10_000_000;
const out = { calls: N, samples: SAMPLES };
out.bare = await bytesPerCall(() => bookCalendar(args200(fresh++)));
out["ours fresh"] = await bytesPerCall(() => runOurs(engine, args200(fresh++)));
out["ours replay"] = await bytesPerCall((i) => runOurs(engine, args200(replayBase + (i % REPLAYS))));
for (const [name, p] of Object.entries(peers)) {
  out[`${name} fresh`] = await bytesPerCall(() => {
    const i = fresh++;
    return p.call(args200(i), `k-${i}`);
  });
  out[`${name} replay`] = await bytesPerCall((i) => p.call(args200(replayBase + (i % REPLAYS)), `k-${replayBase + (i % REPLAYS)}`));
}
process.send(out);
