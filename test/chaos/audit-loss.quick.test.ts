/**
 * What a SIGKILL costs the audit log. The sinks buffer: JsonlAuditLog appends on the next turn
 * of the event loop, the SQL audit logs (SQLite, Postgres, MySQL) write a batch at most `flushIntervalMs`
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
import { MysqlAuditLog } from "@agent-idempotency/store-mysql";
import { PostgresAuditLog } from "@agent-idempotency/store-postgres";
import { SqliteAuditLog } from "@agent-idempotency/store-sqlite";
import { assertBuilt } from "./support/dist-check.js";
import { withMysql, withPg } from "./support/drivers.js";
import { FULL, report, TIMEOUT_MS } from "./support/settings.js";

const pgUrl = inject("pgUrl");
const mysqlUrl = inject("mysqlUrl");
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

type Sink = "jsonl" | "sqlite" | "postgres" | "mysql";

/** The sink's log as a reader opens it after the kill. */
function openLog(sink: Sink, dir: string, table: string) {
  if (sink === "jsonl") return new JsonlAuditLog(join(dir, "audit.jsonl"));
  if (sink === "sqlite") return new SqliteAuditLog({ path: join(dir, "store.db") });
  if (sink === "postgres") return new PostgresAuditLog({ uri: pgUrl!, table: `${table}_audit` });
  return new MysqlAuditLog({ uri: mysqlUrl!, table: `${table}_audit` });
}

async function trial(sink: Sink, n: number): Promise<Trial> {
  const dir = mkdtempSync(join(workRoot, `${sink}-${n}-`));
  const table = `aidem_audit_loss_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
  const child = fork(WRITER, [JSON.stringify({ sink, dir, pgUrl, mysqlUrl, table })], { stdio: ["ignore", "inherit", "inherit", "ipc"], cwd: new URL("../../", import.meta.url).pathname });
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
    const log = openLog(sink, dir, table);
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
    if (sink === "mysql") await withMysql(mysqlUrl!, (c) => c.query(`DROP TABLE IF EXISTS \`${table}\`, \`${table}_migrations\`, \`${table}_audit\`, \`${table}_audit_migrations\``));
  }
}

const sinks = [
  { sink: "jsonl" as const, url: true },
  { sink: "sqlite" as const, url: true },
  { sink: "postgres" as const, url: pgUrl },
  { sink: "mysql" as const, url: mysqlUrl },
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
