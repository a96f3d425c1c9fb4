// One worker process of the workers section (workers.mjs): opens the store it is told to (from the
// packages' dist/, as an application would), waits for "go", then runs `concurrency` loops of fresh
// guarded calls (claim, run, complete; every call a new logical action) until the deadline, and
// reports its call count, failures and a sample of latencies (ms).
import { createIdempotency } from "@agent-idempotency/core";
import { args200, bookCalendar, TOOLS } from "../lib/workload.mjs";

const { spec, concurrency, seconds, worker } = JSON.parse(process.argv[2]);
const mod = await import(spec.module);
const store = new mod[spec.export](spec.options);
await store.setup();
const engine = createIdempotency({ store, tools: TOOLS, onWarning: () => undefined });

const MAX_SAMPLES = 20_000;
const latencies = [];
let calls = 0;
let failures = 0;
let firstError;

process.send("ready");
await new Promise((resolve) => process.once("message", resolve));
const deadline = performance.now() + seconds * 1000;
let n = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      const a = args200(worker * 1e9 + n++);
      const t = performance.now();
      try {
        await engine.run({ action: "book_calendar", args: a, sessionId: `w${worker}` }, () => bookCalendar(a));
        calls++;
        const ms = performance.now() - t;
        // Reservoir sampling keeps the sample uniform over the whole run.
        if (latencies.length < MAX_SAMPLES) latencies.push(ms);
        else {
          const j = Math.floor(Math.random() * calls);
          if (j < MAX_SAMPLES) latencies[j] = ms;
        }
      } catch (error) {
        failures++;
        firstError ??= String(error?.message ?? error);
      }
    }
  }),
);
// Wait until the report is written to the channel: process.exit() would drop a large one.
await new Promise((resolve) => process.send({ calls, failures, firstError, latencies }, resolve));
await engine.close();
process.exit(0);
