import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditEntry, AuditQuery } from "@agent-idempotency/core";
import { createAuditLog, IdempotencyStoreError } from "@agent-idempotency/core";
import { SqliteAuditLog } from "@agent-idempotency/store-sqlite";
import sqlite3 from "sqlite3";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "idem-sqlite-audit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(dir, `a${++files}.db`);

const T = Date.UTC(2026, 10, 1);
function entry(i: number, ts = T + i): AuditEntry {
  const e: AuditEntry = {
    ts,
    action_type: i % 3 === 0 ? "charge_card" : "send_email",
    outcome: i % 5 === 0 ? "replayed" : "executed",
    session_id: `s-${i % 7}`,
    fingerprint: `fp-${i}`,
    attempt: 1 + (i % 2),
    duration_ms: i % 4 === 0 ? 12.5 : i,
  };
  if (i % 2 === 0) e.idempotency_key = `key-${i}`;
  if (i % 3 === 0) e.response_id = `ch_${i}`;
  if (i % 4 !== 1) e.tool_call_id = `call_${i}`;
  if (i % 2 === 0) {
    e.scope = `turn:["s-${i % 7}","h-${i}"]`;
    e.key_sent = i % 4 === 0;
  }
  if (i % 5 === 1) e.turn = `${i}:abcd`;
  if (i % 6 === 0) {
    e.repeat_of = `key-${i - 2}`;
    e.repeat_decision = i % 12 ? "proceed" : "deferred";
  }
  return e;
}

async function collect(log: SqliteAuditLog, range?: AuditQuery): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of log.query(range)) out.push(e);
  return out;
}

function rawAll<T>(path: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (e) => {
      if (e) return reject(e);
      db.all<T>(sql, [], (err, rows) => db.close(() => (err ? reject(err) : resolve(rows))));
    });
  });
}

/** Runs the signal worker (it imports the built dist/) and resolves with how it ended. */
function killedWorker(path: string, count: number, mode = ""): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = fork(new URL("./fixtures/audit-signal-worker.mjs", import.meta.url), [path, String(count), mode], { stdio: "inherit" });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

describe("SqliteAuditLog", () => {
  it("setup(): a file of the previous schema gains the new columns; its old rows read back without them", async () => {
    const path = freshPath();
    const table = "agent_idempotency_audit";
    await new Promise<void>((resolve, reject) => {
      const db = new sqlite3.Database(path, (e) => {
        if (e) return reject(e);
        db.exec(
          `CREATE TABLE ${table}(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, action_type TEXT NOT NULL, idempotency_key TEXT, response_id TEXT,
             outcome TEXT NOT NULL, session_id TEXT NOT NULL, tool_call_id TEXT, fingerprint TEXT NOT NULL, attempt INTEGER NOT NULL, duration_ms REAL NOT NULL);
           CREATE TABLE agent_idempotency_schema(subject TEXT PRIMARY KEY, version INTEGER NOT NULL);
           INSERT INTO agent_idempotency_schema VALUES('audit:${table}', 3);
           INSERT INTO ${table}(ts, action_type, outcome, session_id, fingerprint, attempt, duration_ms) VALUES(${T}, 'a', 'executed', 's', 'f', 1, 0);`,
          (err) => db.close(() => (err ? reject(err) : resolve())),
        );
      });
    });
    // Two logs set the file up at once: the second finds the columns the first added.
    const [a, b] = [new SqliteAuditLog({ path }), new SqliteAuditLog({ path })];
    await Promise.all([a.setup(), b.setup()]);
    a.write(entry(6));
    await a.close();
    await b.close();
    const reader = new SqliteAuditLog({ path });
    expect(await collect(reader)).toEqual([{ ts: T, action_type: "a", outcome: "executed", session_id: "s", fingerprint: "f", attempt: 1, duration_ms: 0 }, entry(6)]);
    await reader.close();
  });

  it("write(): buffers synchronously; every entry is readable after close(), from a new instance", async () => {
    const path = freshPath();
    const log = new SqliteAuditLog({ path });
    const written = Array.from({ length: 250 }, (_, i) => entry(i));
    for (const e of written) expect(log.write(e)).toBeUndefined();
    await log.close();
    const rows = await rawAll<{ n: number }>(path, "SELECT count(*) AS n FROM agent_idempotency_audit");
    expect(rows).toEqual([{ n: 250 }]);
    const reader = new SqliteAuditLog({ path });
    expect(await collect(reader)).toEqual(written);
    await reader.close();
  });

  it("write(): entries reach the table on a later tick without flush()", async () => {
    const path = freshPath();
    const log = new SqliteAuditLog({ path });
    log.write(entry(1));
    log.write(entry(2));
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 100; i++) {
      const rows = await rawAll<{ n: number }>(path, "SELECT count(*) AS n FROM agent_idempotency_audit").catch(() => [{ n: 0 }]);
      if (rows[0]!.n === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await rawAll(path, "SELECT count(*) AS n FROM agent_idempotency_audit")).toEqual([{ n: 2 }]);
    await log.close();
  });

  it("query(): since is inclusive, until exclusive, oldest first; equal timestamps keep write order", async () => {
    const log = new SqliteAuditLog({ path: freshPath(), pageSize: 7 });
    // Written out of time order, with runs of equal timestamps that straddle page boundaries.
    const written = Array.from({ length: 60 }, (_, i) => entry(i, T + ((i * 37) % 20) * 1000));
    for (const e of written) log.write(e);
    const expected = (since?: number, until?: number) =>
      written
        .map((e, i) => ({ e, i }))
        .filter(({ e }) => (since === undefined || e.ts >= since) && (until === undefined || e.ts < until))
        .sort((a, b) => a.e.ts - b.e.ts || a.i - b.i)
        .map(({ e }) => e);
    expect(await collect(log)).toEqual(expected());
    expect(await collect(log, { since: T + 5000 })).toEqual(expected(T + 5000));
    expect(await collect(log, { until: T + 5000 })).toEqual(expected(undefined, T + 5000));
    const mid = await collect(log, { since: T + 3000, until: T + 9000 });
    expect(mid).toEqual(expected(T + 3000, T + 9000));
    expect(mid.length).toBe(18);
    expect(await collect(log, { since: T + 20_000 })).toEqual([]);
    await log.close();
  });

  it("query(): 10 000 entries round-trip exactly, across pages", async () => {
    const path = freshPath();
    const log = new SqliteAuditLog({ path });
    const written = Array.from({ length: 10_000 }, (_, i) => entry(i, T + Math.floor(i / 3)));
    for (const e of written) log.write(e);
    await log.flush();
    const read = await collect(log);
    expect(read.length).toBe(10_000);
    expect(read).toEqual(written);
    await log.close();
  });

  it("query(): each page is a range scan on the ts index", async () => {
    const path = freshPath();
    const log = new SqliteAuditLog({ path });
    log.write(entry(1));
    await log.close();
    const plan = await rawAll<{ detail: string }>(
      path,
      `EXPLAIN QUERY PLAN SELECT id FROM agent_idempotency_audit WHERE ts >= 1 AND ts < 2 AND (ts, id) > (1, 0) ORDER BY ts, id LIMIT 10`,
    );
    expect(plan.map((p) => p.detail).join("\n")).toMatch(/SEARCH agent_idempotency_audit USING (COVERING )?INDEX agent_idempotency_audit_ts_idx/);
    expect(plan.map((p) => p.detail).join("\n")).not.toContain("TEMP B-TREE");
  });

  it("table: is append-only (an UPDATE is refused)", async () => {
    const path = freshPath();
    const log = new SqliteAuditLog({ path, table: "audit_x" });
    log.write(entry(1));
    await log.close();
    await expect(rawAll(path, "UPDATE audit_x SET outcome = 'failed'")).rejects.toThrow(/append-only/);
    expect(await rawAll(path, "SELECT outcome FROM audit_x")).toEqual([{ outcome: "executed" }]);
  });

  it("constructor: rejects a table that is not a plain identifier, and write() an invalid entry", () => {
    expect(() => new SqliteAuditLog({ path: ":memory:", table: "audit; DROP TABLE x" })).toThrow(/option "table" must be a plain identifier/);
    const log = new SqliteAuditLog({ path: ":memory:" });
    expect(() => log.write({ ...entry(1), ts: Number.NaN })).toThrow(IdempotencyStoreError);
    expect(() => log.write({ ...entry(1), session_id: undefined as unknown as string })).toThrow(/session_id/);
  });

  it("flush(): a failing database rejects with IdempotencyStoreError and keeps the entries", async () => {
    const log = new SqliteAuditLog({ path: join(dir, "no-such-dir", "a.db") });
    log.write(entry(1));
    const error = await log.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect(((error as Error).cause as { code?: string }).code).toBe("SQLITE_CANTOPEN");
    await expect(log.close()).rejects.toBeInstanceOf(IdempotencyStoreError);
  });

  it("write(): refuses new entries once maxBuffered wait for a failing database", async () => {
    const log = new SqliteAuditLog({ path: join(dir, "no-such-dir", "b.db"), maxBuffered: 3 });
    for (let i = 0; i < 3; i++) log.write(entry(i));
    expect(() => log.write(entry(3))).toThrow(/audit buffer full \(3 entries/);
    await expect(log.close()).rejects.toBeInstanceOf(IdempotencyStoreError);
  });

  it("SIGTERM: the buffer is written, and the process still ends by the signal", async () => {
    const path = freshPath();
    expect(await killedWorker(path, 500)).toEqual({ code: null, signal: "SIGTERM" });
    expect(await rawAll(path, "SELECT count(*) AS n FROM agent_idempotency_audit")).toEqual([{ n: 500 }]);
  });

  it("SIGTERM: an application's own handler decides; its close() writes everything", async () => {
    const path = freshPath();
    expect(await killedWorker(path, 500, "own-handler")).toEqual({ code: 0, signal: null });
    expect(await rawAll(path, "SELECT count(*) AS n FROM agent_idempotency_audit")).toEqual([{ n: 500 }]);
  });

  it("createAuditLog(): sqlite:PATH opens a SqliteAuditLog on that file", async () => {
    const path = freshPath();
    const log = await createAuditLog(`sqlite:${path}?audit_table=audit_uri`);
    expect(log).toBeInstanceOf(SqliteAuditLog);
    await log.write(entry(3));
    await log.close?.();
    expect(await rawAll(path, "SELECT count(*) AS n FROM audit_uri")).toEqual([{ n: 1 }]);
  });
});
