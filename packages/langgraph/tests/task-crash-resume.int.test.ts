/**
 * A functional-API task killed between its effect and LangGraph's checkpoint, across real
 * processes: the first process is SIGKILLed after charge_card charged (and, with idempotentTask,
 * after the charge was recorded) but before the task's result was written; a second process
 * resumes the thread from PostgresSaver with invoke(null). Every charge is a line in a file both
 * processes append to. Needs the built dist/ (pnpm run build).
 */
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";

const pgUrl = inject("pgUrl");
const worker = fileURLToPath(new URL("./fixtures/task-crash-worker.mjs", import.meta.url));
const built = ["../dist/index.js", "../../store-postgres/dist/index.js"].every((p) => existsSync(fileURLToPath(new URL(p, import.meta.url))));
const dir = mkdtempSync(join(tmpdir(), "aidem-task-crash-"));
const schemas: string[] = [];

type Result = { done: true; out: { receipt: { charge_id: string; cents: number } }; outcomes: string[] };

function run(env: Record<string, string>, onMessage: (msg: unknown, kill: () => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = fork(worker, [], { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.on("message", (msg) => onMessage(msg, () => child.kill("SIGKILL")));
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
}

async function crashThenResume(kind: "stock" | "idempotent" | "unrecorded") {
  const schema = `aidem_tcrash_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
  schemas.push(schema);
  const env = { PG_URL: pgUrl!, SCHEMA: schema, THREAD: `task-crash-${kind}`, EFFECTS_FILE: join(dir, `${schema}.txt`), KIND: kind };
  const messages: unknown[] = [];
  const first = await run({ ...env, PHASE: "crash" }, (msg, kill) => (messages.push(msg), msg === "ran" && kill()));
  expect(first.signal).toBe("SIGKILL");
  expect(messages).toEqual(["ran"]);
  let result: Result | undefined;
  const second = await run({ ...env, PHASE: "resume" }, (msg) => (result = msg as Result));
  expect(second.code).toBe(0);
  const charges = readFileSync(env.EFFECTS_FILE, "utf8").trim().split("\n");
  return { charges, result: result! };
}

describe.skipIf(!pgUrl || !built)("a task killed after its effect, resumed in another process (PostgresSaver + PostgresStore)", () => {
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await client.end();
  });

  it("invoke(null) after SIGKILL: idempotentTask replays the recorded charge (one effect)", async () => {
    const { charges, result } = await crashThenResume("idempotent");
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatch(/^o-1 [0-9a-f]{32}$/);
    expect(result.out).toEqual({ receipt: { charge_id: "ch_o-1", cents: 500 } });
    expect(result.outcomes).toEqual(["replayed"]); // from our store: LangGraph had no result to resume with
  });

  it("invoke(null) after SIGKILL before the record: idempotentTask waits out the lease and charges again under the SAME key", async () => {
    // The outcome is unknown (the default onUnknownOutcome re-executes): an upstream that honours
    // the key dedupes this second charge; one that does not is what reconcile is for.
    const { charges, result } = await crashThenResume("unrecorded");
    expect(charges).toHaveLength(2);
    expect(charges[1]).toBe(charges[0]);
    expect(charges[0]).toMatch(/^o-1 [0-9a-f]{32}$/);
    expect(result.outcomes).toEqual(["lease_lost", "executed"]);
  });

  it("invoke(null) after SIGKILL: the stock task charges again (two effects)", async () => {
    const { charges } = await crashThenResume("stock");
    expect(charges).toEqual(["o-1 -", "o-1 -"]);
  });
});

if (!built) console.warn("[langgraph] task-crash-resume.int.test.ts skipped: build first (pnpm run build)");
