// Run by scale.mjs with --expose-gc: the heap a MemoryStore holds for 100 k completed records
// written through the engine (200-byte arguments, the suite's small result). Sends one message.
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import { args200, runOurs, TOOLS } from "../lib/workload.mjs";

const RECORDS = 100_000;

const settle = () => {
  for (let i = 0; i < 3; i++) globalThis.gc();
};

const store = new MemoryStore();
const engine = createIdempotency({ store, tools: TOOLS, onWarning: () => undefined });
await runOurs(engine, args200(-1)); // modules, JIT and the first Map slots are not what we count
settle();
const before = process.memoryUsage();
for (let i = 0; i < RECORDS; i++) await runOurs(engine, args200(i));
settle();
const after = process.memoryUsage();
if (store.size < RECORDS) throw new Error(`expected ${RECORDS} records, the store holds ${store.size}`);
process.send({
  records: store.size,
  heapBytesPer100k: ((after.heapUsed - before.heapUsed) * 100_000) / RECORDS,
  rssBytesPer100k: ((after.rss - before.rss) * 100_000) / RECORDS,
});
