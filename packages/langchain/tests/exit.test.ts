/**
 * "Entries are all written before `invoke` resolves, even when the process exits right after":
 * each case forks a plain Node process (built `dist/`) that runs an agent with the handler writing
 * to a JsonlAuditLog, then calls `process.exit(0)` the moment `invoke` resolves. The parent counts
 * the lines. The control runs the same handler as a background one: its entries are lost, which is
 * what this test would catch.
 */
import { fork } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const worker = fileURLToPath(new URL("./fixtures/exit-worker.mjs", import.meta.url));
const built = ["../dist/index.js", "../../langgraph/dist/index.js", "../../core/dist/index.js"].every((p) => existsSync(fileURLToPath(new URL(p, import.meta.url))));
const dir = mkdtempSync(join(tmpdir(), "aidem-exit-"));
let runs = 0;

/** Runs the worker and returns the outcomes of the lines it left in the file. */
async function linesAfterExit(env: { MODE: string; SINK_DELAY_MS?: string; BACKGROUND?: string }): Promise<string[]> {
  const file = join(dir, `audit-${++runs}.jsonl`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = fork(worker, [], { env: { ...process.env, ...env, AUDIT_FILE: file }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.on("error", reject);
    child.on("exit", (c) => resolve(c));
  });
  expect(code).toBe(0);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { outcome: string }).outcome);
}

describe.skipIf(!built)("IdempotencyCallbackHandler: entries survive process.exit(0) right after invoke", { concurrent: true }, () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(["0", "25"])("handleToolEnd(): a stock agent, sink latency %s ms: every entry is in the file", async (delay) => {
    expect(await linesAfterExit({ MODE: "stock", SINK_DELAY_MS: delay })).toEqual(["unguarded", "duplicate", "unguarded"]);
  });

  it.each(["0", "25"])("handleToolEnd(): a guarded agent, sink latency %s ms: the engine's entries, none twice", async (delay) => {
    expect(await linesAfterExit({ MODE: "guarded", SINK_DELAY_MS: delay })).toEqual(["executed", "replayed", "executed"]);
  });

  it("handleToolEnd(): a single tool call exits right after: its entry is in the file", async () => {
    expect(await linesAfterExit({ MODE: "tool", SINK_DELAY_MS: "25" })).toEqual(["unguarded"]);
  });

  it("control: the same handler running in the background loses the entry", async () => {
    expect(await linesAfterExit({ MODE: "tool", SINK_DELAY_MS: "25", BACKGROUND: "1" })).toEqual([]);
  });
});

if (!built) console.warn("[langchain] exit.test.ts skipped: build first (pnpm run build, or flock /tmp/ai-build.lock npx tsc -b packages/langchain)");
