/**
 * The two-process crash test of a worker in fixtures/: the first process runs until it reports
 * "ran" (its effect happened) and is SIGKILLed there, before LangGraph's checkpoint; a second
 * process resumes the thread from PostgresSaver. Both append each effect as a line to one file.
 * Each run gets a schema of its own, dropped by `cleanup`. The workers import the built dist/.
 */
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { expect, inject } from "vitest";

/** What a crash and its resume left behind. */
export interface CrashResumed<Result> {
  /** The effect lines both processes appended, in order. */
  effects: string[];
  /** The message the resuming process sent when it finished. */
  result: Result;
}

/** A crash-and-resume test of one worker; see {@link crashHarness}. */
export interface CrashHarness<Result, Kind extends string> {
  /** False without a Postgres server or without the built dist/ the workers import: skip. */
  readonly ready: boolean;
  /** Runs the worker with `KIND=kind`, SIGKILLs it after its effect, resumes it in a second process. */
  crashThenResume(kind: Kind): Promise<CrashResumed<Result>>;
  /** Drops the schemas and the effect files of every run. */
  cleanup(): Promise<void>;
}

const pgUrl = inject("pgUrl");
const built = ["../dist/index.js", "../../store-postgres/dist/index.js"].every((p) => existsSync(fileURLToPath(new URL(p, import.meta.url))));

function run(worker: string, env: Record<string, string>, onMessage: (msg: unknown, kill: () => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = fork(worker, [], { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.on("message", (msg) => onMessage(msg, () => child.kill("SIGKILL")));
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
}

/**
 * The harness for `fixtures/<worker>`; `name` ("crash", "task-crash") names its schemas, threads
 * and temp folder. The worker reads PG_URL, SCHEMA, THREAD, EFFECTS_FILE, KIND and PHASE
 * ("crash" or "resume"), sends "ran" after its effect in the crash phase, and its result when the
 * resume phase finishes.
 */
export function crashHarness<Result, Kind extends string>(worker: string, name: string): CrashHarness<Result, Kind> {
  const workerPath = fileURLToPath(new URL(`./fixtures/${worker}`, import.meta.url));
  if (!built) console.warn(`[langgraph] the crash tests of fixtures/${worker} skipped: build first (pnpm run build)`);
  const schemas: string[] = [];
  let dir: string | undefined;
  return {
    ready: !!pgUrl && built,
    async crashThenResume(kind) {
      dir ??= mkdtempSync(join(tmpdir(), `aidem-${name}-`));
      const schema = `aidem_${name.replaceAll("-", "_")}_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
      schemas.push(schema);
      const env = { PG_URL: pgUrl!, SCHEMA: schema, THREAD: `${name}-${kind}`, EFFECTS_FILE: join(dir, `${schema}.txt`), KIND: kind };
      const messages: unknown[] = [];
      const first = await run(workerPath, { ...env, PHASE: "crash" }, (msg, kill) => (messages.push(msg), msg === "ran" && kill()));
      expect(first.signal).toBe("SIGKILL");
      expect(messages).toEqual(["ran"]);
      let result: Result | undefined;
      const second = await run(workerPath, { ...env, PHASE: "resume" }, (msg) => (result = msg as Result));
      expect(second.code).toBe(0);
      const effects = readFileSync(env.EFFECTS_FILE, "utf8").trim().split("\n");
      return { effects, result: result! };
    },
    async cleanup() {
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (!schemas.length) return;
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await client.end();
    },
  };
}
