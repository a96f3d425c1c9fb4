/**
 * Acceptance 3 across real processes: the first process is SIGKILLed after book_calendar ran
 * (and, with IdempotentToolNode, after its outcome was recorded) but before the tools node's
 * checkpoint; a second process resumes the thread from PostgresSaver with invoke(null). The
 * booking is counted in a file both processes append to. Needs the built dist/ (pnpm run build).
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
const worker = fileURLToPath(new URL("./fixtures/crash-worker.mjs", import.meta.url));
const built = ["../dist/index.js", "../../store-postgres/dist/index.js"].every((p) => existsSync(fileURLToPath(new URL(p, import.meta.url))));
const dir = mkdtempSync(join(tmpdir(), "aidem-crash-"));
const schemas: string[] = [];

type Result = { done: true; answers: { id: string; content: string; meta: { replayed: boolean } | null }[]; last: string };

function run(env: Record<string, string>, onMessage: (msg: unknown, kill: () => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = fork(worker, [], { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.on("message", (msg) => onMessage(msg, () => child.kill("SIGKILL")));
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
}

async function crashThenResume(kind: "stock" | "idempotent") {
  const schema = `aidem_crash_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
  schemas.push(schema);
  const env = { PG_URL: pgUrl!, SCHEMA: schema, THREAD: `crash-${kind}`, EFFECTS_FILE: join(dir, `${schema}.txt`), KIND: kind };
  const messages: unknown[] = [];
  const first = await run({ ...env, PHASE: "crash" }, (msg, kill) => (messages.push(msg), msg === "ran" && kill()));
  expect(first.signal).toBe("SIGKILL");
  expect(messages).toEqual(["ran"]);
  let result: Result | undefined;
  const second = await run({ ...env, PHASE: "resume" }, (msg) => (result = msg as Result));
  expect(second.code).toBe(0);
  const bookings = readFileSync(env.EFFECTS_FILE, "utf8").trim().split("\n");
  return { bookings, result: result! };
}

describe.skipIf(!pgUrl || !built)("crash and resume across two processes (PostgresSaver + PostgresStore)", () => {
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await client.end();
  });

  it("invoke(null) after SIGKILL: IdempotentToolNode replays the recorded booking (one effect)", async () => {
    const { bookings, result } = await crashThenResume("idempotent");
    expect(bookings).toEqual(["10:00"]);
    expect(result.last).toBe("done");
    expect(result.answers.find((a) => a.id === "c1")).toMatchObject({ content: "booked 10:00", meta: { replayed: true } });
  });

  it("invoke(null) after SIGKILL: the stock ToolNode books again (two effects)", async () => {
    const { bookings } = await crashThenResume("stock");
    expect(bookings).toEqual(["10:00", "10:00"]);
  });
});

if (!built) console.warn("[langgraph] crash-resume.int.test.ts skipped: build first (pnpm run build)");
