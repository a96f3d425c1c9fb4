/**
 * Acceptance: `agent-idempotency audit` as a real process on a JSONL audit log with two planted
 * anomalies inside clean traffic (bench/audit-log-generator.mjs).
 */
import { writeFileSync } from "node:fs";
import type { AuditEntry, AuditReport } from "@agent-idempotency/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers/run-cli.js";
import { expectPlantedReport, planted, plantedEntries, START } from "./helpers/planted.js";

const tmp = tempDir("audit-jsonl");
let entries: AuditEntry[];
let log: string;
let cleanLog: string;

const jsonl = (list: readonly AuditEntry[]) => list.map((e) => `${JSON.stringify(e)}\n`).join("");

beforeAll(() => {
  entries = plantedEntries(6000);
  log = tmp.path("audit.jsonl");
  writeFileSync(log, jsonl(entries));
  cleanLog = tmp.path("clean.jsonl");
  writeFileSync(cleanLog, jsonl(entries.filter((e) => !e.session_id.startsWith("sess-planted-"))));
});
afterAll(() => tmp.remove());

describe("audit on a JSONL log", () => {
  it("audit --json: reports exactly the two planted flags, and counts that match the log, with exit 1", async () => {
    const r = await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "all", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as AuditReport & { exitCode: number; source: string };
    expectPlantedReport(report, entries);
    expect(report.exitCode).toBe(1);
    expect(report.source).toBe(`jsonl:${log}`);
  });

  it("audit: the terminal report fits 80 columns and shows both flags with their evidence", async () => {
    const r = await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "2026-11-01"]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n");
    expect(lines.filter((l) => [...l].length > 80)).toEqual([]);
    expect(r.stdout).toContain("2 FLAGS RAISED");
    expect(r.stdout).toContain("one key, several response ids: charge_card");
    expect(r.stdout).toContain("one action, several keys: book_calendar");
    for (const text of [planted.severalResponses.idempotency_key, ...planted.severalResponses.response_ids, ...planted.severalKeys.keys, planted.severalKeys.session_id]) {
      expect(r.stdout).toContain(text);
    }
    // one row per action plus the total, with the counts of the log
    const total = lines.find((l) => l.startsWith("total"))!;
    expect(total.split(/\s+/)[1]).toBe(String(entries.length));
  });

  it("audit: the same traffic without the planted entries is clean: exit 0, no flags", async () => {
    const r = await runCli(["audit", "--audit", `jsonl:${cleanLog}`, "--since", "all"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("OK: no flags");
    const json = JSON.parse((await runCli(["audit", "--audit", `jsonl:${cleanLog}`, "--since", "all", "--json"])).stdout) as AuditReport;
    expect(json.flags).toEqual([]);
    expect(json.entries).toBeGreaterThan(5000);
  });

  it("audit: the same call repeated in a new turn within the window is listed for review, not flagged; --strict fails on it", async () => {
    const r = await runCli(["audit", "--audit", `jsonl:${cleanLog}`, "--since", "all", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as AuditReport;
    expect(report.flags).toEqual([]);
    expect(report.review.length).toBeGreaterThan(10);
    for (const x of report.review) {
      expect(x.executions).toHaveLength(2);
      expect(new Set(x.executions.map((e) => e.scope)).size).toBe(2);
      expect(x.last_ts - x.first_ts).toBe(30_000);
    }
    const text = await runCli(["audit", "--audit", `jsonl:${cleanLog}`, "--since", "all"]);
    expect(text.stdout).toContain("OK: no flags");
    expect(text.stdout).toContain(`FOR REVIEW: ${report.review.length} calls repeated in a new turn`);
    const strict = await runCli(["audit", "--audit", `jsonl:${cleanLog}`, "--since", "all", "--strict"]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain(`${report.review.length} REPEATS FOR REVIEW (exit code 1: --strict)`);
  });

  it("audit --window: a wider window lists the repeats 90 s apart for review too, still with no flag", async () => {
    const narrow = JSON.parse((await runCli(["audit", "--audit", `jsonl:${cleanLog}`, "--since", "all", "--json"])).stdout) as AuditReport;
    const r = await runCli(["audit", "--audit", `jsonl:${cleanLog}`, "--since", "all", "--window", "2m", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as AuditReport;
    expect(report.windowMs).toBe(120_000);
    expect(report.flags).toEqual([]);
    expect(report.review.length).toBeGreaterThan(narrow.review.length);
    expect(report.review.some((x) => x.last_ts - x.first_ts === 90_000)).toBe(true);
  });

  it("audit --since/--until: a range before the anomalies is clean, and counts only its entries", async () => {
    const until = START + 86_400_000;
    const r = await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "2026-11-02", "--until", new Date(until).toISOString(), "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as AuditReport;
    expect(report.entries).toBe(entries.filter((e) => e.ts >= START && e.ts < until).length);
    expect(report.since).toBe(START);
    expect(report.until).toBe(until);
  });

  it("audit --since 7d: counts back from now (the planted log is older, so nothing is in range)", async () => {
    const r = await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "7d"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No audit entries in this range");
    expect(r.stderr).toContain("warning: no audit entries");
  });

  it("audit --store: reads the audit log from $IDEMPOTENCY_AUDIT when --audit is absent", async () => {
    const r = await runCli(["audit", "--since", "all", "--json"], { IDEMPOTENCY_AUDIT: `jsonl:${log}` });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as AuditReport).flags).toHaveLength(2);
  });

  it("audit --progress: draws progress on stderr and keeps stdout clean JSON", async () => {
    const r = await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "all", "--json", "--progress"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/scanning jsonl:.*: 6,000 entries.*done/);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });
});

describe("audit: exit codes for mistakes", () => {
  it.each([
    [["audit", "--audit", "jsonl:x.jsonl", "--sinse", "7d"], /Unknown option '--sinse'/],
    [["audit", "--audit", "jsonl:x.jsonl", "--window", "60"], /--window "60" is not a duration/],
    [["audit", "--audit", "jsonl:x.jsonl", "--since", "yesterday"], /--since "yesterday" is not a time/],
    [["audit", "--audit", "jsonl:x.jsonl", "--since", "2026-11-05", "--until", "2026-11-01"], /--since must be before --until/],
    [["audit"], /no audit log: pass --store URI/],
    [["audit", "--store", "redis://127.0.0.1:6379"], /a Redis store keeps no audit log: pass --audit URI/],
    [["audit", "--store", "mongodb://x"], /not a store URI/],
    [["audit", "--audit", "redis://127.0.0.1:6379"], /Redis keeps no audit log/],
    [["frobnicate"], /unknown command "frobnicate"/],
  ])("exit 2 (usage) for %j", async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it("audit: exit 3 when the audit log file does not exist, and the file is not created", async () => {
    const missing = tmp.path("missing/audit.jsonl");
    const r = await runCli(["audit", "--audit", `jsonl:${missing}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no such file");
    expect((await import("node:fs")).existsSync(tmp.path("missing"))).toBe(false);
  });

  it.each([["--help"], ["audit", "--help"], ["inspect", "-h"], ["purge", "--help"], ["help", "audit"]])("%j prints usage and exits 0", async (...args) => {
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: agent-idempotency/);
    expect(r.stdout.split("\n").filter((l) => [...l].length > 80)).toEqual([]);
  });

  it("no command: prints usage and exits 2", async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("Commands:");
  });
});
