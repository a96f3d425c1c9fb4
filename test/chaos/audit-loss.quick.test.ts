/**
 * What a SIGKILL costs the audit log. The sinks buffer: JsonlAuditLog appends on the next turn
 * of the event loop, SqliteAuditLog and PostgresAuditLog write a batch at most `flushIntervalMs`
 * (100 ms) after its first entry. A process killed with entries still buffered loses them, and
 * RELIABILITY.md states how many; this checks the statement on real processes and real servers:
 *
 * - only the NEWEST entries are lost, never an older one (batches commit in order);
 * - JSON lines: at most the entry of the call that ended in the event loop's current turn;
 * - SQL sinks: only entries of calls that ended within `flushIntervalMs` (plus the time a batch
 *   takes to commit, allowed generously here on a loaded machine) before the kill.
 */
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AuditEntry } from "@agent-idempotency/core";
import { JsonlAuditLog } from "@agent-idempotency/core";
import { PostgresAuditLog } from "@agent-idempotency/store-postgres";
import { SqliteAuditLog } from "@agent-idempotency/store-sqlite";
import { assertBuilt } from "./support/dist-check.js";
import { withPg } from "./support/drivers.js";
import { FULL, report, TIMEOUT_MS } from "./support/settings.js";

const pgUrl = inject("pgUrl");
const WRITER = new URL("./support/audit-writer.mjs", import.meta.url);
const TRIALS = FULL ? 20 : 3;
const FLUSH_INTERVAL_MS = 100;
/** What a batch may take to commit on this shared 2-core machine (an fsync, a busy lock). */
const COMMIT_ALLOWANCE_MS = 1000;
const workRoot = mkdtempSync(join(tmpdir(), "aidem-chaos-audit-"));
afterAll(() => rmSync(workRoot, { recursive: true, force: true }));
beforeAll(() => assertBuilt());

interface Trial {
  done: { id: number; at: number }[];
  entries: number;
  lost: number[];
  oldestLostMs: number;
  suffix: boolean;
}

async function trial(sink: "jsonl" | "sqlite" | "postgres", n: number): Promise<Trial> {
  const dir = mkdtempSync(join(workRoot, `${sink}-${n}-`));
  const table = `aidem_audit_loss_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
  const child = fork(WRITER, [JSON.stringify({ sink, dir, pgUrl, table })], { stdio: ["ignore", "inherit", "inherit", "ipc"], cwd: new URL("../../", import.meta.url).pathname });
  const exited = new Promise((resolve) => child.once("close", resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`audit writer exited with ${code} before it was ready`)));
    });
    await new Promise((r) => setTimeout(r, 30 + Math.random() * 300));
    const killedAt = Date.now();
    child.kill("SIGKILL");
    await exited;
    const done = readFileSync(join(dir, "done.txt"), "utf8").split("\n").filter(Boolean).map((l) => {
      const [id, at] = l.split(" ").map(Number);
      return { id: id!, at: at! };
    });
    const log = sink === "jsonl" ? new JsonlAuditLog(join(dir, "audit.jsonl")) : sink === "sqlite" ? new SqliteAuditLog({ path: join(dir, "store.db") }) : new PostgresAuditLog({ uri: pgUrl!, table: `${table}_audit` });
    const entries: AuditEntry[] = [];
    for await (const e of log.query()) entries.push(e);
    await log.close?.();
    const logged = new Set(entries.map((e) => Number(e.tool_call_id)));
    const lost = done.filter((d) => !logged.has(d.id));
    const firstLost = lost.length ? done.indexOf(lost[0]!) : done.length;
    return {
      done,
      entries: entries.length,
      lost: lost.map((d) => d.id),
      oldestLostMs: lost.length ? killedAt - lost[0]!.at : 0,
      suffix: done.slice(firstLost).every((d) => !logged.has(d.id)),
    };
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    if (sink === "postgres") await withPg(pgUrl!, (c) => c.query(`DROP TABLE IF EXISTS "${table}", "${table}_migrations", "${table}_audit", "${table}_audit_migrations"`));
  }
}

const sinks = [
  { sink: "jsonl" as const, url: true },
  { sink: "sqlite" as const, url: true },
  { sink: "postgres" as const, url: pgUrl },
];

for (const { sink, url } of sinks) {
  describe.skipIf(!url)(`audit entries lost to a SIGKILL, ${sink}`, () => {
    it(`${sink}: a SIGKILL loses only the newest entries, within the stated bound`, { timeout: TIMEOUT_MS }, async () => {
      let lost = 0;
      let calls = 0;
      let oldest = 0;
      let mostInOneKill = 0;
      for (let n = 0; n < TRIALS; n++) {
        const t = await trial(sink, n);
        expect(t.done.length).toBeGreaterThan(20);
        expect(t.suffix).toBe(true); // never an older entry, never a gap
        if (sink === "jsonl") expect(t.lost.length).toBeLessThanOrEqual(1); // the current turn's call only
        else expect(t.oldestLostMs).toBeLessThanOrEqual(FLUSH_INTERVAL_MS + COMMIT_ALLOWANCE_MS);
        lost += t.lost.length;
        calls += t.done.length;
        oldest = Math.max(oldest, t.oldestLostMs);
        mostInOneKill = Math.max(mostInOneKill, t.lost.length);
      }
      report(`audit-loss/${sink}`, { kills: TRIALS, calls, lost, mostLostInOneKill: mostInOneKill, oldestLostMs: oldest, flushIntervalMs: sink === "jsonl" ? "next tick" : FLUSH_INTERVAL_MS });
    });
  });
}
