#!/usr/bin/env node
// tasks: a checkout workflow in LangGraph's functional API is killed after charging the card and
// before LangGraph checkpoints the charge; a second process resumes it, then the client retries.
// Stock `task` against `idempotentTask`, on PostgresSaver and PostgresStore.
//   IDEMPOTENCY_PG_URL=postgres://… node examples/tasks/main.mjs [--json]
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import { ORDER } from "./src/checkout.mjs";

const WORKER = fileURLToPath(new URL("./worker.mjs", import.meta.url));
export const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test";

/** Runs one phase in a process of its own; a crash phase is SIGKILLed once the card is charged. */
function phase(name, env) {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { env: { ...process.env, ...env, PHASE: name }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let answer;
    child.on("message", (m) => {
      if (m.charged && name === "crash") child.kill("SIGKILL");
      else answer = m;
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (name === "crash") return signal === "SIGKILL" ? resolve({ killed: true }) : reject(new Error(`the crash phase ended without being killed (${code})`));
      if (answer?.error) return reject(new Error(answer.error));
      return answer?.result ? resolve(answer) : reject(new Error(`${name} exited with code ${code} before answering`));
    });
  });
}

const lines = (file) => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : []);

/** Crash, resume, retry: once with stock tasks, once with idempotentTask, each on a schema of its own. */
export async function runDemo({ pgUrl = DEFAULT_PG_URL } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "tasks-demo-"));
  const schemas = [];
  const out = {};
  try {
    for (const kind of ["stock", "idempotent"]) {
      const schema = `tasks_demo_${randomBytes(4).toString("hex")}`;
      schemas.push(schema);
      const env = { IDEMPOTENCY_PG_URL: pgUrl, SCHEMA: schema, KIND: kind, CHARGES: join(dir, `${kind}-charges.txt`), EMAILS: join(dir, `${kind}-emails.txt`) };
      await phase("crash", env);
      const chargedBeforeCrash = lines(env.CHARGES).length;
      const resumed = await phase("resume", env);
      const retried = await phase("retry", env);
      const charges = lines(env.CHARGES);
      out[kind] = {
        chargedBeforeCrash,
        charges: charges.length,
        chargeKeys: [...new Set(charges.map((l) => l.split(" ")[1]))],
        emails: lines(env.EMAILS).length,
        resumed: resumed.result,
        retried: retried.result,
        replays: [...resumed.outcomes, ...retried.outcomes].filter((o) => o.endsWith(":replayed")).length,
        outcomes: { resume: resumed.outcomes, retry: retried.outcomes },
      };
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    } finally {
      await client.end();
    }
  }
}

function print(out) {
  const { stock, idempotent } = out;
  console.log(`tasks: a checkout workflow (LangGraph functional API) charges ${ORDER.id}, then emails ${ORDER.emails.length} receipts in parallel.`);
  console.log("Its process is killed after the charge, before LangGraph checkpointed it; a second process");
  console.log("resumes the thread (invoke(null)); then the client retries the whole checkout.");
  console.log("");
  const row = (label, a, b) => console.log(`  ${label.padEnd(22)}${String(a).padStart(12)}${String(b).padStart(18)}`);
  row("", "stock task", "idempotentTask");
  row("card charges", stock.charges, idempotent.charges);
  row("receipt emails", stock.emails, idempotent.emails);
  row("resumed with", stock.resumed.charge_id, idempotent.resumed.charge_id);
  row("replays", stock.replays, idempotent.replays);
  console.log("");
  console.log(`idempotentTask charged once, under key ${idempotent.chargeKeys[0]?.slice(0, 8)}…; a crash before the record would re-run it with that same key.`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const out = await runDemo({ pgUrl: process.env.IDEMPOTENCY_PG_URL ?? DEFAULT_PG_URL });
  if (process.argv.includes("--json")) console.log(JSON.stringify(out));
  else print(out);
  process.exitCode = out.idempotent.charges === 1 ? 0 : 1;
}
