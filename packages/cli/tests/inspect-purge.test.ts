/**
 * `inspect` and `purge` as real processes against a SQLite store that the real engine wrote:
 * the tool's side effects are counted, the records are read back by the CLI, and purging is
 * checked by what is left in the store afterwards.
 */
import { writeFileSync } from "node:fs";
import type { AuditSink, IdempotencyStore } from "@agent-idempotency/core";
import { createIdempotency } from "@agent-idempotency/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli, tempDir } from "./helpers/run-cli.js";

type Ctor<T> = new (options: Record<string, unknown>) => T;
const sqlitePkg = (await import("@agent-idempotency/store-sqlite")) as Record<string, unknown>;
const SqliteStore = sqlitePkg.SqliteStore as Ctor<IdempotencyStore> | undefined;
const SqliteAuditLog = sqlitePkg.SqliteAuditLog as Ctor<AuditSink> | undefined;

const HOUR = 3_600_000;

describe.skipIf(!SqliteStore || !SqliteAuditLog)("inspect and purge on a SQLite store", () => {
  const tmp = tempDir("inspect");
  const db = tmp.path("idempotency.db");
  let charges = 0;
  const keys: Record<"live" | "old" | "failed", string> = { live: "", old: "", failed: "" };

  async function engineAt(now: () => number) {
    const store = new SqliteStore!({ path: db });
    const audit = new SqliteAuditLog!({ path: db });
    const idempotency = createIdempotency({
      store,
      audit,
      clock: { now },
      tools: {
        charge_card: { responseId: (r: { id: string }) => r.id, ttlMs: 24 * HOUR },
        send_email: { cacheErrors: true, ttlMs: HOUR },
      },
    });
    return { idempotency, close: async () => (await audit.close?.(), await store.close()) };
  }

  beforeAll(async () => {
    // Two days ago: a charge whose record expired a day ago.
    const past = await engineAt(() => Date.now() - 48 * HOUR);
    const old = await past.idempotency.run({ action: "charge_card", args: { amount: 1 }, sessionId: "s-old" }, () => (charges++, { id: "ch_old" }));
    keys.old = old.key!;
    await past.close();
    // Now: a live charge, replayed once; and a recorded failure.
    const now = await engineAt(() => Date.now());
    const call = { action: "charge_card", args: { amount: 42, card: "tok_visa" }, sessionId: "s-1" };
    const first = await now.idempotency.run(call, () => (charges++, { id: "ch_live", receipt: "x".repeat(100) }));
    const again = await now.idempotency.run(call, () => (charges++, { id: "ch_twice" }));
    expect(again.replayed).toBe(true);
    keys.live = first.key!;
    await now.idempotency
      .run({ action: "send_email", args: { to: "a@example.com" }, sessionId: "s-2" }, () => {
        throw Object.assign(new Error("mailbox full"), { code: "E_FULL" });
      })
      .catch(() => undefined);
    const failed = await now.idempotency.run({ action: "send_email", args: { to: "a@example.com" }, sessionId: "s-2" }, () => "sent").catch((e: { key?: string }) => e);
    keys.failed = (failed as { key: string }).key;
    await now.close();
    expect(charges).toBe(2);
  });
  afterAll(() => tmp.remove());

  it("inspect KEY --json: the record (ISO times, value size, response id) and its audit history", async () => {
    const r = await runCli(["inspect", keys.live, "--store", `sqlite:${db}`, "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.record).toMatchObject({ key: keys.live, status: "completed", action: "charge_card", attempt: 1, response_id: "ch_live" });
    expect(out.record.value_bytes).toBe(Buffer.byteLength(JSON.stringify({ id: "ch_live", receipt: "x".repeat(100) })));
    expect(out.record.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
    expect(Date.parse(out.record.expires_at) - Date.parse(out.record.completed_at)).toBe(24 * HOUR);
    expect(out.history.map((e: { outcome: string }) => e.outcome)).toEqual(["executed", "replayed"]);
    expect(out.history.every((e: { idempotency_key: string }) => e.idempotency_key === keys.live)).toBe(true);
    expect(r.stdout).not.toContain("xxxxxxxx"); // the recorded value itself is never shown
  });

  it("inspect KEY: the text view names status, scope, times and each history entry", async () => {
    const r = await runCli(["inspect", keys.live, "--store", `sqlite:${db}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/status\s+completed/);
    expect(r.stdout).toMatch(/response id\s+ch_live/);
    expect(r.stdout).toMatch(/value size\s+\d+ bytes/);
    expect(r.stdout).toMatch(/audit history .* \(2 entries\)/);
    expect(r.stdout.split("\n").filter((l) => [...l].length > 80)).toEqual([]);
  });

  it("inspect KEY: a recorded failure shows the error's name, code and message", async () => {
    const r = await runCli(["inspect", keys.failed, "--store", `sqlite:${db}`, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).record).toMatchObject({ status: "failed", error: "Error [E_FULL]: mailbox full" });
  });

  it("inspect: exit 5 for a key with neither a record nor an audit entry", async () => {
    const r = await runCli(["inspect", "0".repeat(32), "--store", `sqlite:${db}`]);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain("no record");
  });

  it("inspect: without a KEY is a usage error", async () => {
    const r = await runCli(["inspect", "--store", `sqlite:${db}`]);
    expect(r.code).toBe(2);
  });

  it("purge --before without --yes: exit 2 and nothing deleted", async () => {
    const r = await runCli(["purge", "--store", `sqlite:${db}`, "--before", "2100-01-01"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--yes");
    expect((await runCli(["inspect", keys.live, "--store", `sqlite:${db}`, "--json"])).code).toBe(0);
    expect(JSON.parse((await runCli(["inspect", keys.old, "--store", `sqlite:${db}`, "--json"])).stdout).record).not.toBeNull();
  });

  it("purge: exactly one of --expired and --before", async () => {
    expect((await runCli(["purge", "--store", `sqlite:${db}`])).code).toBe(2);
    expect((await runCli(["purge", "--store", `sqlite:${db}`, "--expired", "--before", "1d", "--yes"])).code).toBe(2);
  });

  it("purge --expired deletes the expired record only; --before … --yes deletes the live ones", async () => {
    const expired = await runCli(["purge", "--store", `sqlite:${db}`, "--expired", "--json"]);
    expect(expired.code).toBe(0);
    expect(JSON.parse(expired.stdout).purged).toBe(1);
    const old = JSON.parse((await runCli(["inspect", keys.old, "--store", `sqlite:${db}`, "--json"])).stdout);
    expect(old.record).toBeNull();
    expect(old.history.map((e: { outcome: string }) => e.outcome)).toEqual(["executed"]); // the audit log is kept
    expect(JSON.parse((await runCli(["inspect", keys.live, "--store", `sqlite:${db}`, "--json"])).stdout).record.status).toBe("completed");

    const all = await runCli(["purge", "--store", `sqlite:${db}`, "--before", "2100-01-01", "--yes"]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^purged 2 records expiring at or before 2100-01-01T00:00:00Z from sqlite:/);
    expect(JSON.parse((await runCli(["inspect", keys.live, "--store", `sqlite:${db}`, "--json"])).stdout).record).toBeNull();
  });

  it("purge: exit 3 and no file created when the sqlite file does not exist", async () => {
    const r = await runCli(["purge", "--store", `sqlite:${tmp.path("nope.db")}`, "--expired"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no such file");
  });
});

describe("inspect with a memory store and a JSONL audit log", () => {
  it("inspect: no record (memory: lives in one process) but the history from --audit, exit 0", async () => {
    const tmp = tempDir("inspect-jsonl");
    try {
      const log = tmp.path("audit.jsonl");
      const entry = { ts: Date.parse("2026-11-20T10:00:00Z"), action_type: "send_email", idempotency_key: "k-1", response_id: "m-1", outcome: "executed", session_id: "s", fingerprint: "f", attempt: 1, duration_ms: 3 };
      writeFileSync(log, [entry, { ...entry, idempotency_key: "k-2" }, { ...entry, ts: entry.ts + 1000, outcome: "replayed" }].map((e) => JSON.stringify(e)).join("\n"));
      const r = await runCli(["inspect", "k-1", "--store", "memory:", "--audit", `jsonl:${log}`]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("no record in memory:");
      expect(r.stdout).toMatch(/2026-11-20T10:00:00Z\s+executed\s+#1 3ms session=s response=m-1/);
      expect(r.stdout).toMatch(/2026-11-20T10:00:01Z\s+replayed/);
      expect(r.stdout).not.toContain("k-2");
    } finally {
      tmp.remove();
    }
  });

  it.skipIf(!inject("redisUrl"))("inspect: a Redis store without --audit reads the record and says it has no audit log", async () => {
    const uri = `${inject("redisUrl")}?prefix=ai-cli-${Math.random().toString(36).slice(2)}`;
    const r = await runCli(["inspect", "k-1", "--store", uri]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(5);
    expect(r.stdout).toContain("no audit history: a Redis store keeps no audit log; pass --audit URI");
  });
});
