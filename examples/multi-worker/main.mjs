#!/usr/bin/env node
// multi-worker: a queue delivers the same job to two worker processes at once; they share a
// PostgresStore, so the invoice email is sent once.
//   IDEMPOTENCY_PG_URL=postgres://… node examples/multi-worker/main.mjs [--workers N] [--json]
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import { JOB } from "./src/agent.mjs";
import { startMailApi } from "./src/mail-api.mjs";

const WORKER = fileURLToPath(new URL("./worker.mjs", import.meta.url));
export const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test";

/** Forks one worker; resolves with the process and a promise of its { result } or error. */
function startWorker(name, env) {
  const child = fork(WORKER, [], { env: { ...process.env, ...env, WORKER: name }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let onReady;
  const ready = new Promise((resolve) => (onReady = resolve));
  const done = new Promise((resolve, reject) => {
    child.on("message", (m) => {
      if (m.ready) onReady();
      else if (m.result) resolve(m.result);
      else if (m.error) reject(new Error(m.error));
    });
    child.on("exit", (code) => reject(new Error(`${name} exited with code ${code} before answering`)));
  });
  done.catch(() => onReady()); // a worker that dies before it is ready must not hang the start
  return { child, ready, done };
}

/** Runs the job on `workers` processes; drops the run's schema afterwards. */
export async function runDemo({ pgUrl = DEFAULT_PG_URL, workers = 2 } = {}) {
  // A schema of its own per run, so a run never replays an earlier one and leaves nothing behind.
  const schema = `multi_worker_${randomBytes(4).toString("hex")}`;
  const mail = await startMailApi();
  const started = [];
  try {
    const env = { IDEMPOTENCY_PG_URL: pgUrl, WORKER_SCHEMA: schema, MAIL_URL: mail.url };
    for (let i = 1; i <= workers; i++) started.push(startWorker(`w${i}`, env));
    // Every store is set up before the job goes out, so the workers race for the claim, not for DDL.
    await Promise.all(started.map((w) => w.ready));
    for (const w of started) w.child.send({ job: JOB });
    const results = await Promise.all(started.map((w) => w.done));
    return {
      schema,
      workers: results.sort((a, b) => a.worker.localeCompare(b.worker)),
      emails: mail.sent.length,
      sentBy: mail.sent.map((e) => e.worker),
      keys: [...new Set(results.map((r) => r.key))],
      keysAtMailApi: [...new Set(mail.sent.map((e) => e.key))],
    };
  } finally {
    for (const w of started) if (w.child.exitCode === null) w.child.kill();
    await mail.close();
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  }
}

function print(out) {
  console.log(`multi-worker: a queue delivers ${JOB.id} ("email invoice ${JOB.invoice_id} to ${JOB.to}") to ${out.workers.length} worker processes at once.`);
  console.log(`They share a PostgresStore (schema ${out.schema}, dropped afterwards).`);
  console.log("");
  for (const r of out.workers) console.log(`  ${r.worker}  ${(r.replayed ? "replayed" : r.status === "error" ? "error" : "executed").padEnd(9)}${r.content}`);
  console.log("");
  console.log(`emails sent: ${out.emails} (by ${out.sentBy.join(", ") || "nobody"}), keys used: ${out.keys.length} (${out.keys.map((k) => `${k?.slice(0, 8)}…`).join(", ")})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const n = args.includes("--workers") ? Number(args[args.indexOf("--workers") + 1]) : 2;
  if (!Number.isInteger(n) || n < 2 || n > 8) {
    console.error("multi-worker: --workers takes 2 to 8\nusage: main.mjs [--workers N] [--json]");
    process.exit(2);
  }
  const out = await runDemo({ pgUrl: process.env.IDEMPOTENCY_PG_URL || DEFAULT_PG_URL, workers: n });
  if (args.includes("--json")) console.log(JSON.stringify(out));
  else print(out);
  // A regression, not a demo: one email, whatever the number of workers.
  if (out.emails !== 1) process.exitCode = 1;
}
