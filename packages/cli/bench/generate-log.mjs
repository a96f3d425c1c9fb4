#!/usr/bin/env node
// Writes a planted audit log as JSON lines:
//   node packages/cli/bench/generate-log.mjs OUT.jsonl [ENTRIES=1000000] [DAYS=7]
// The log ends about now, so `agent-idempotency audit --since 8d` covers it.
import { plantedLog, writeJsonl } from "./audit-log-generator.mjs";

const [out, entriesArg = "1000000", daysArg = "7"] = process.argv.slice(2);
if (!out) {
  console.error("usage: node generate-log.mjs OUT.jsonl [ENTRIES] [DAYS]");
  process.exit(2);
}
const entries = Number(entriesArg);
const days = Number(daysArg);
const started = Date.now();
const count = await writeJsonl(out, plantedLog({ entries, days, start: Date.now() - days * 86_400_000 }));
console.error(`wrote ${count} entries to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
