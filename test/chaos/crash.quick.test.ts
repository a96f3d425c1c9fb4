/**
 * Crash chaos: processes SIGKILLed at the worst moments of a guarded side effect, restarted, and
 * retrying the same logical action; per backend and per kind of upstream. Quick here (a few kills
 * per backend and mode); `pnpm test:chaos` runs at least 100 kills per backend and mode.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { mysqlBackend, postgresBackend, redisBackend, sqliteBackend, type ChaosBackend } from "./support/backends.js";
import { auditReport } from "@agent-idempotency/core";
import { runCrashChaos, type CrashStats } from "./support/crash-harness.js";
import { assertBuilt } from "./support/dist-check.js";
import { CRASH_KILLS, CRASH_KILLS_PER_TRIAL, CRASH_LANES, CRASH_LEASE_MS, report, TIMEOUT_MS } from "./support/settings.js";

/** Every kill survived: one effect per trial, no record lost, one key throughout, no claim broken. */
function expectNoDuplicate(s: CrashStats): void {
  expect(s.kills).toBeGreaterThanOrEqual(CRASH_KILLS);
  expect(s.duplicates).toBe(0);
  expect(s.effects).toBe(s.trials);
  expect(s.lostRecords).toBe(0);
  expect(s.keyChanges).toBe(0);
  expect(s.claimViolations).toBe(0);
  expect(s.workerErrors).toEqual([]);
}

const pgUrl = inject("pgUrl");
const redisUrl = inject("redisUrl");
const mysqlUrl = inject("mysqlUrl");
const workDir = mkdtempSync(join(tmpdir(), "aidem-chaos-crash-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
beforeAll(() => assertBuilt());

const backends: { name: string; url: string | undefined | true; make: () => Promise<ChaosBackend> }[] = [
  { name: "sqlite", url: true, make: async () => sqliteBackend() },
  { name: "postgres", url: pgUrl, make: () => postgresBackend(pgUrl!) },
  { name: "redis", url: redisUrl, make: async () => redisBackend(redisUrl!) },
  { name: "mysql", url: mysqlUrl, make: async () => mysqlBackend(mysqlUrl!) },
];

function summary(s: CrashStats) {
  const { workerErrors, audit, ...numbers } = s;
  report(`crash/${s.backend}/${s.mode}`, { ...numbers, workerErrors: workerErrors.length, firstErrors: workerErrors.slice(0, 3) });
}

for (const b of backends) {
  describe.skipIf(!b.url)(`crash chaos on ${b.name}`, () => {
    let backend: ChaosBackend;
    beforeAll(async () => {
      backend = await b.make();
    });
    afterAll(() => backend?.cleanup());
    const run = (mode: CrashStats["mode"]) => runCrashChaos({ backend, mode, kills: CRASH_KILLS, lanes: CRASH_LANES, maxKillsPerTrial: CRASH_KILLS_PER_TRIAL, leaseMs: CRASH_LEASE_MS, workDir });

    it("run(): upstream honours the forwarded key: SIGKILL anywhere, restart, retry: 0 duplicate effects, 0 lost records", { timeout: TIMEOUT_MS }, async () => {
      const s = await run("honour");
      summary(s);
      expectNoDuplicate(s);
    });

    it("run(): upstream ignores keys, reconcile looks the effect up: 0 duplicate effects, 0 lost records", { timeout: TIMEOUT_MS }, async () => {
      const s = await run("reconcile");
      summary(s);
      expectNoDuplicate(s);
    });

    it("run(): upstream ignores keys, no hook: every duplicate is a take-over the audit log shows as lease_lost", { timeout: TIMEOUT_MS }, async () => {
      const s = await run("none");
      summary(s);
      expect(s.kills).toBeGreaterThanOrEqual(CRASH_KILLS);
      expect(s.duplicatesInAudit).toBe(s.duplicates);
      expect(s.duplicatesAsRecoveredOrLeaseLost).toBe(s.duplicates);
      expect(s.lostRecords).toBe(0);
      expect(s.keyChanges).toBe(0);
      expect(s.claimViolations).toBe(0);
      expect(s.workerErrors).toEqual([]);
    });
  });
}

/**
 * One deterministic duplicate, to pin down what the audit log says about it: the first worker is
 * killed right after the upstream applied its effect (before `complete`), the restarted one takes
 * the expired claim over and, with no reconcile hook and an upstream that ignores keys, runs the
 * effect again.
 */
describe("the audit trail of a duplicate after an unknown outcome", () => {
  let backend: ChaosBackend;
  let stats: CrashStats;
  beforeAll(async () => {
    backend = sqliteBackend();
    stats = await runCrashChaos({ backend, mode: "none", kills: 1, lanes: 1, fixedPlan: ["after-effect"], leaseMs: CRASH_LEASE_MS, workDir });
  }, TIMEOUT_MS);
  afterAll(() => backend?.cleanup());

  it("run(): the take-over audits the dead attempt as lease_lost, then the re-execution as executed with attempt 2", () => {
    expect(stats.kills).toBe(1);
    expect(stats.duplicates).toBe(1);
    const key = stats.audit[0]?.idempotency_key;
    expect(stats.audit.map((e) => [e.idempotency_key, e.outcome, e.attempt])).toEqual([
      [key, "lease_lost", 1],
      [key, "executed", 2],
    ]);
    expect(stats.duplicatesInAudit).toBe(1);
  });

  // Found by this suite: the dead attempt never wrote an entry (SIGKILL came first) and the
  // take-over re-executed as a plain "executed", so the duplicate was visible only to someone
  // reading attempt numbers. The taker now writes the dead holder's lease_lost entry.
  it("auditReport(): the duplicate is not silent: the log holds a lease_lost entry for the dead attempt", async () => {
    const report = await auditReport(stats.audit);
    const strict = stats.audit.filter((e) => e.outcome === "recovered" || e.outcome === "lease_lost").length;
    expect(report.totals.lease_lost).toBe(1);
    expect(strict).toBeGreaterThanOrEqual(stats.duplicates);
  });
});
