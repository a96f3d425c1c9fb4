/**
 * SQLite-specific: several processes hammering one file. With the busy timeout a writer waits
 * for the other process's lock, so no claim fails with SQLITE_BUSY. Without it (the control)
 * claims do fail, which shows the contention is real, and even then no claim that reported
 * success may be lost (see connection.ts: sqlite3's parallel mode rolls such writes back).
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sqlite3 from "sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const worker = new URL("./fixtures/hammer-worker.mjs", import.meta.url);
const dir = mkdtempSync(join(tmpdir(), "idem-sqlite-busy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEYS = 1000;

interface Report { won: number[]; errors: string[] }

async function hammer(path: string, busyTimeoutMs?: number): Promise<Report[]> {
  const children = [0, 1].map(() => fork(worker, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  try {
    const ready = children.map((c) => new Promise((resolve) => c.once("message", resolve)));
    for (const c of children) c.send({ path, keys: KEYS, concurrency: 16, busyTimeoutMs });
    await Promise.all(ready);
    const reports = children.map((c) => new Promise<Report>((resolve, reject) => {
      c.once("message", (m) => resolve(m as Report));
      c.once("exit", (code) => reject(new Error(`hammer worker exited with ${code}`)));
    }));
    for (const c of children) c.send("go"); // both start together, on a file neither has set up
    return await Promise.all(reports);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  }
}

/** Status per key, read from the file by a connection of our own. */
function statuses(path: string): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (e) => {
      if (e) return reject(e);
      db.all<{ key: string; status: string }>(
        "SELECT key, json_extract(value, '$.value.status') AS status FROM keyv WHERE key LIKE 'idempotency:h-%'",
        (err, rows) => db.close(() => (err ? reject(err) : resolve(new Map(rows.map((r) => [r.key.slice("idempotency:".length), r.status]))))),
      );
    });
  });
}

describe("SqliteStore across processes on one file", () => {
  beforeAll(async () => {
    // forked workers import the built dist/
    await import("../dist/index.js").catch(() => {
      throw new Error("build first: flock /tmp/ai-build.lock npx tsc -b packages/store-sqlite");
    });
  });

  it("claim()/complete(): two processes hammering one file never fail with SQLITE_BUSY", async () => {
    const path = join(dir, "busy.db");
    const reports = await hammer(path);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    const won = reports.flatMap((r) => r.won);
    expect(won.length).toBe(KEYS);
    expect(new Set(won).size).toBe(KEYS);
    const rows = await statuses(path);
    expect(rows.size).toBe(KEYS);
    expect([...rows.values()].every((s) => s === "completed")).toBe(true);
  }, 180_000);

  it("claim(): without a busy timeout claims fail with SQLITE_BUSY, yet no reported claim is lost", async () => {
    const path = join(dir, "no-timeout.db");
    const reports = await hammer(path, 0);
    const errors = reports.flatMap((r) => r.errors);
    expect(errors.length).toBeGreaterThan(0); // the control: the contention is real
    expect(new Set(errors)).toEqual(new Set(["SQLITE_BUSY"]));
    const won = reports.flatMap((r) => r.won);
    expect(new Set(won).size).toBe(won.length); // never two winners for one key
    const rows = await statuses(path);
    const lost = won.filter((i) => !rows.has(`h-${i}`));
    expect(lost).toEqual([]);
  }, 180_000);
});
