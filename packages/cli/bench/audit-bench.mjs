#!/usr/bin/env node
// Measures `agent-idempotency audit` on a large JSONL log: wall time and peak RSS from
// /usr/bin/time -v. Build first (npx tsc -b packages/cli).
//   node packages/cli/bench/audit-bench.mjs [ENTRIES=1000000] [RUNS=3]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { plantedLog, writeJsonl } from "./audit-log-generator.mjs";

const entries = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 3);
const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
if (!existsSync(bin)) throw new Error(`build first: ${bin} is missing`);
const dir = mkdtempSync(join(tmpdir(), "ai-cli-bench-"));
const log = join(dir, "audit.jsonl");
try {
  const t0 = Date.now();
  await writeJsonl(log, plantedLog({ entries, days: 7, start: Date.now() - 7 * 86_400_000 }));
  const mb = (statSync(log).size / 1024 / 1024).toFixed(0);
  console.log(`generated ${entries} entries (${mb} MiB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`node ${process.version}, ${runs} runs of: agent-idempotency audit --audit jsonl:LOG --since all --json`);
  for (let i = 0; i < runs; i++) {
    const r = spawnSync("/usr/bin/time", ["-v", process.execPath, bin, "audit", "--audit", `jsonl:${log}`, "--since", "all", "--json"], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const wall = /Elapsed \(wall clock\) time.*: (.+)/.exec(r.stderr)?.[1];
    const cpu = ["User", "System"].map((k) => Number(new RegExp(`${k} time \\(seconds\\): ([\\d.]+)`).exec(r.stderr)?.[1] ?? NaN));
    const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
    const flags = JSON.parse(r.stdout).flags.map((f) => f.kind).join(", ");
    console.log(`run ${i + 1}: exit ${r.status}, wall ${wall}, CPU ${(cpu[0] + cpu[1]).toFixed(1)} s, peak RSS ${(rss / 1024).toFixed(0)} MiB, flags: ${flags}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
