// The benchmark suite of issue 8: `pnpm bench` at the root (builds first, then runs this file).
// Not part of `pnpm test`: it asserts nothing about wall-clock time, it measures and reports.
//
//   node test/bench/run.mjs [--quick] [--sections=keys,alloc,overhead,peers,audit,duplicates,integration,scale,workers]
//                           [--workers=2,4,8,16] [--worker-seconds=N]
//                           [--worker-backends=postgres,redis,redis-cluster,redis-cluster-wait,mysql]
//                           [--out=PATH]   (default test/bench/results.json)
//                           [--backends=memory,sqlite,postgres,redis,mysql] [--rounds=N] [--records=N]
//
// Prints tables, writes test/bench/results.json. Servers: IDEMPOTENCY_PG_URL,
// IDEMPOTENCY_REDIS_URL, IDEMPOTENCY_MYSQL_URL (defaults: the local ones); a server that does not answer is skipped and
// reported. Every table, key prefix and temp file this run creates carries its run id and is
// removed at the end.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { openBackends } from "./lib/backends.mjs";
import { integrationTables, integrationTargets } from "./lib/integration-report.mjs";
import { judgeTargets, render, table } from "./lib/report.mjs";
import { RUN_ID } from "./lib/workload.mjs";
import { allocSection } from "./sections/alloc.mjs";
import { auditSection } from "./sections/audit.mjs";
import { duplicates } from "./sections/duplicates.mjs";
import { integration } from "./sections/integration.mjs";
import { keys } from "./sections/keys.mjs";
import { overhead } from "./sections/overhead.mjs";
import { peers } from "./sections/peers.mjs";
import { scaleSection } from "./sections/scale.mjs";
import { workersSection } from "./sections/workers.mjs";

const argv = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k, v ?? "true"];
  }),
);
const quick = argv.quick === "true";
const opts = {
  rounds: Number(argv.rounds ?? (quick ? 3 : 7)),
  scale: Number(argv.scale ?? (quick ? 0.25 : 1)),
  trials: quick ? 2 : 5,
  records: Number(argv.records ?? (quick ? 100_000 : 1_000_000)),
  workers: (argv.workers ?? "2,4,8,16").split(",").map(Number),
  workerSeconds: Number(argv["worker-seconds"] ?? (quick ? 2 : 5)),
  workerBackends: (argv["worker-backends"] ?? "postgres,redis,redis-cluster,redis-cluster-wait,mysql").split(","),
};
const sections = (argv.sections ?? "keys,alloc,overhead,peers,audit,duplicates,integration,scale,workers").split(",");
const backendNames = (argv.backends ?? "memory,sqlite,postgres,redis,mysql").split(",");
const log = (m) => process.stderr.write(`${m}\n`);

function gitCommit() {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

const meta = {
  startedAt: new Date().toISOString(),
  command: `node test/bench/run.mjs ${process.argv.slice(2).join(" ")}`.trim(),
  commit: gitCommit(),
  node: process.version,
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  loadAverageAtStart: os.loadavg(),
  runId: RUN_ID,
  options: opts,
};
log(`agent-idempotency bench ${RUN_ID}: ${meta.cores} cores (${meta.cpu}), load average ${meta.loadAverageAtStart.map((x) => x.toFixed(1)).join(" ")}`);

const results = {};
const rows = {};
if (sections.includes("keys")) ({ results: results.keys, rows: rows.keys } = await keys(opts, log));
if (sections.includes("alloc")) ({ results: results.alloc, rows: rows.alloc } = await allocSection(opts, log));
const needBackends = sections.some((s) => ["overhead", "peers", "audit", "duplicates", "integration"].includes(s));
const backends = needBackends ? await openBackends(backendNames, log) : [];
try {
  if (sections.includes("overhead")) ({ results: results.overhead, rows: rows.overhead } = await overhead(backends, opts, log));
  if (sections.includes("peers")) ({ results: results.peers, rows: rows.peers } = await peers(backends, opts, log));
  if (sections.includes("audit")) ({ results: results.audit, rows: rows.audit } = await auditSection(backends, opts, log));
  if (sections.includes("duplicates")) ({ rows: rows.duplicates } = await duplicates(backends, opts, log));
  results.duplicates = rows.duplicates;
  if (sections.includes("integration")) ({ results: results.integration, rows: rows.integration } = await integration(backends, opts, log));
} finally {
  for (const b of backends) await b.close().catch((e) => log(`  cleanup of ${b.name} failed: ${e?.message}`));
}
if (sections.includes("scale")) ({ results: results.scale, rows: rows.scale } = await scaleSection(opts, log));
if (sections.includes("workers")) ({ results: results.workers, rows: rows.workers } = await workersSection(opts, log));

meta.finishedAt = new Date().toISOString();
meta.loadAverageAtEnd = os.loadavg();
const targets = judgeTargets(results);
console.log(render(results, rows));
if (results.integration) {
  const goals = integrationTargets(results.integration);
  targets.push(...goals);
  console.log(integrationTables(results.integration, rows.integration));
  console.log(table("Goals (issue 17)", goals, [["goal", "target"], ["value", "value", 2], ["limit", "limit"], ["met", (t) => (t.met === null ? "not measured" : t.met ? "met" : "MISSED")], ["note", "note"]]));
}
console.log(`\nload average at start ${meta.loadAverageAtStart.map((x) => x.toFixed(1)).join(" ")}, at end ${meta.loadAverageAtEnd.map((x) => x.toFixed(1)).join(" ")} (${meta.cores} cores)`);
// --out=PATH keeps a partial run (one section) from replacing the full results.json.
const file = argv.out ? argv.out : fileURLToPath(new URL("./results.json", import.meta.url));
writeFileSync(file, `${JSON.stringify({ meta, targets, results }, null, 1)}\n`);
log(`wrote ${file}`);
