/**
 * A JsonlAuditLog that cannot write (its path is a folder, the folder is read-only) says so: its
 * `write` rejects, so the engine reports it to `onAuditError`; `flush` and `close` reject; and the
 * exit hook never throws: a process that exits with entries it cannot write ends normally, with a
 * line on stderr, instead of an uncaught error. Real files and real processes.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "@agent-idempotency/core";
import { createIdempotency, JsonlAuditLog, MemoryStore } from "@agent-idempotency/core";

const dir = mkdtempSync(join(tmpdir(), "idem-jsonl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const entry = (i: number): AuditEntry => ({ ts: i, action_type: "a", outcome: "executed", session_id: "s", fingerprint: "f", attempt: 1, duration_ms: 0 });
const core = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/** Runs `code` (an ES module importing core's dist as `core`) in a fresh Node process. */
function runNode(code: string) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", `import * as core from ${JSON.stringify(core)};\n${code}`], { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("JsonlAuditLog that cannot write", () => {
  it("write(): a path that is a folder rejects, so the engine reports it to onAuditError and the call's outcome stands", async () => {
    const path = join(dir, "is-a-folder");
    mkdirSync(path);
    const reported: { error: unknown; entry: AuditEntry | undefined }[] = [];
    const log = new JsonlAuditLog(path);
    const idempotency = createIdempotency({ store: new MemoryStore(), audit: log, tools: { charge: true }, onAuditError: (error, e) => void reported.push({ error, entry: e }) });
    let runs = 0;
    const out = await idempotency.run({ action: "charge", args: { order: "o-1" }, sessionId: "s" }, async () => ++runs);
    expect(out.value).toBe(1);
    expect(reported).toHaveLength(1);
    expect(String(reported[0]!.error)).toMatch(new RegExp(`JsonlAuditLog cannot write ${path.replace(/[/\\]/g, "\\$&")}: EISDIR`));
    expect(reported[0]!.entry).toMatchObject({ action_type: "charge", outcome: "executed" });
    await expect(log.close()).resolves.toBeUndefined(); // nothing was buffered: nothing lost on close
  });

  it("flush() and close() reject when buffered entries cannot be appended, and close() still removes the exit hook", async () => {
    const path = join(dir, "becomes-a-folder.jsonl");
    const exitHooks = process.listenerCount("exit");
    const log = new JsonlAuditLog(path);
    log.write(entry(1)); // the path is writable now
    unlinkSync(path);
    mkdirSync(path); // and no longer when the batch is appended
    await expect(log.flush()).rejects.toThrow(/JsonlAuditLog cannot write .*: EISDIR.*1 entry not written/);
    await expect(log.close()).rejects.toThrow(/EISDIR/);
    expect(process.listenerCount("exit")).toBe(exitHooks);
  });

  it("write(): a failed background append is reported by the next write, not lost in silence", async () => {
    const path = join(dir, "fails-later.jsonl");
    const log = new JsonlAuditLog(path);
    log.write(entry(1));
    unlinkSync(path);
    mkdirSync(path);
    await new Promise((r) => setImmediate(r)); // the background append fails here
    expect(() => log.write(entry(2))).toThrow(/EISDIR.*2 entries not written/);
    rmSync(path, { recursive: true });
    log.write(entry(3)); // writable again: everything buffered goes out, in order
    await log.close();
    expect(readFileSync(path, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as AuditEntry).ts)).toEqual([1, 2, 3]);
  });

  it("the exit hook never throws: a process exiting with entries it cannot write ends with its own exit code and a line on stderr", () => {
    const path = join(dir, "exit-folder.jsonl");
    const r = runNode(`
      import { mkdirSync, unlinkSync } from "node:fs";
      const log = new core.JsonlAuditLog(${JSON.stringify(path)});
      log.write({ ts: 1, action_type: "a", outcome: "executed", session_id: "s", fingerprint: "f", attempt: 1, duration_ms: 0 });
      unlinkSync(${JSON.stringify(path)});
      mkdirSync(${JSON.stringify(path)});
      process.exit(0);`);
    expect(r.stderr).not.toMatch(/Uncaught|node:internal|at .*\(/);
    expect(r.stderr).toMatch(/\[agent-idempotency\] JsonlAuditLog cannot write .*exit-folder\.jsonl: EISDIR.*1 entry not written/);
    expect(r.status).toBe(0);
  });

  it("a process whose engine logs to a folder reports each entry to onAuditError and exits normally", () => {
    const path = join(dir, "engine-folder");
    mkdirSync(path);
    const r = runNode(`
      const idempotency = core.createIdempotency({
        store: new core.MemoryStore(), tools: { charge: true }, audit: new core.JsonlAuditLog(${JSON.stringify(path)}),
        onAuditError: (e) => console.log("reported:", e.cause?.code),
      });
      await idempotency.run({ action: "charge", args: { order: "o-1" }, sessionId: "s" }, async () => "ok");
      await idempotency.run({ action: "charge", args: { order: "o-1" }, sessionId: "s" }, async () => "ok");`);
    expect(r.stdout.trim().split("\n")).toEqual(["reported: EISDIR", "reported: EISDIR"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
