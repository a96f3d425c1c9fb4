#!/usr/bin/env node
// `pnpm test:chaos`: the chaos suite at full size (CHAOS_FULL=1: at least 100 kills per backend
// and upstream mode, 40 faults per kind), through the same test files the normal run executes
// quickly. The numbers of every scenario go to test/chaos/results/<timestamp>.jsonl (and to the
// console as `chaos:` lines); RELIABILITY.md quotes them. Extra arguments go to vitest
// (e.g. `pnpm test:chaos crash` runs only the crash chaos).
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const results = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(results, { recursive: true });
const file = `${results}${new Date().toISOString().replaceAll(":", "-").slice(0, 19)}.jsonl`;
const filters = process.argv.slice(2);
const r = spawnSync("npx", ["vitest", "run", "--project", "integration", ...(filters.length ? filters.map((f) => `chaos/${f}`) : ["chaos/"])], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CHAOS_FULL: "1", CHAOS_RESULTS: file },
});
console.log(`\nchaos numbers: ${file}`);
process.exit(r.status ?? 1);
