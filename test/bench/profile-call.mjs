// Profiles one kind of guarded call on a memory store, the way BENCHMARKS.md's findings were
// taken (not part of the suite):
//
//   node --cpu-prof --cpu-prof-interval 25 test/bench/profile-call.mjs fresh   # then open the .cpuprofile
//   node test/bench/profile-call.mjs fresh --heap    # bytes allocated per call, by function
//
// `fresh` or `replay`; a fresh store every 4000 calls, as the benchmark's rounds have.
// --heap uses V8's sampling heap profiler with collected objects included (what a call
// allocates, not what it keeps).
import { Session } from "node:inspector/promises";
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import { args200, runOurs, TOOLS } from "./lib/workload.mjs";

const kind = process.argv[2] === "replay" ? "replay" : "fresh";
const heap = process.argv.includes("--heap");
const N = heap ? 100_000 : 300_000;
const engine = () => createIdempotency({ store: new MemoryStore(), tools: TOOLS, onWarning: () => undefined });
let e = engine();
const argsOf = (i) => args200(kind === "replay" ? 1e7 + (i % 1000) : i);
for (let i = 0; i < 20_000; i++) await runOurs(e, args200(1e7 + (kind === "replay" ? i % 1000 : i)));
let session;
if (heap) {
  session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
const t = performance.now();
for (let i = 0; i < N; i++) {
  if (kind === "fresh" && i % 4000 === 0) e = engine();
  await runOurs(e, argsOf(i));
}
console.log(`${kind}: ${(((performance.now() - t) * 1000) / N).toFixed(2)} us per call (mean, profiler attached)`);
if (heap) {
  const { profile } = await session.post("HeapProfiler.stopSampling");
  const by = new Map();
  let total = 0;
  const walk = (n) => {
    const f = n.callFrame;
    if (n.selfSize) {
      const name = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
      by.set(name, (by.get(name) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  console.log(`${Math.round(total / N)} B allocated per call (sampled; the bare tool call included)`);
  for (const [name, bytes] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${String(Math.round(bytes / N)).padStart(6)} B  ${name}`);
}

