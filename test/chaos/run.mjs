#!/usr/bin/env node
// `pnpm test:chaos`: the chaos suite at full size (CHAOS_FULL=1: at least 100 kills per backend
// and upstream mode, 40 faults per kind), through the same test files the normal run executes
// quickly. The numbers of every scenario go to test/chaos/results/<timestamp>.jsonl (and to the
// console as `chaos:` lines); RELIABILITY.md quotes them. A first argument without a dash picks
// the files (`pnpm test:chaos crash` runs chaos/crash*), the rest go to vitest as they are
// (`pnpm test:chaos crash -t "on postgres"`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const results = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(results, { recursive: true });
const file = `${results}${new Date().toISOString().replaceAll(":", "-").slice(0, 19)}.jsonl`;
const [first, ...rest] = process.argv.slice(2);
const files = first && !first.startsWith("-") ? [`chaos/${first}`] : ["chaos/", ...(first ? [first] : [])];
const r = spawnSync("npx", ["vitest", "run", "--project", "integration", ...files, ...rest], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CHAOS_FULL: "1", CHAOS_RESULTS: file },
});
// The numbers as the markdown rows RELIABILITY.md uses.
if (existsSync(file)) {
  console.log("\n| scenario | trials / calls | kills / faults | effects | duplicates | lost records | no-claim effects |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
    const n = JSON.parse(line);
    const dup = n.duplicates ?? (n.effects !== undefined && n.trials !== undefined ? n.effects - n.trials : 0);
    const cells = [n.scenario, n.trials ?? n.calls, n.kills ?? n.faults ?? "-", n.effects, dup, n.lostRecords ?? 0, n.claimViolations ?? n.effectsWithoutClaim ?? 0];
    console.log(`| ${cells.join(" | ")} |`);
  }
}
console.log(`\nchaos numbers: ${file}`);
process.exit(r.status ?? 1);
