/**
 * Lease correctness with a slow tool: a tool that runs for several leases keeps its claim by
 * heartbeat, and a concurrent retry from another process waits for it instead of running it
 * again. And the limit: a holder frozen past its lease (no heartbeats) is taken over.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { postgresBackend, redisBackend, sqliteBackend, type ChaosBackend } from "./support/backends.js";
import { assertBuilt } from "./support/dist-check.js";
import { FULL, report, SLOW_TRIALS, TIMEOUT_MS } from "./support/settings.js";
import { runSlowTool } from "./support/slow-tool.js";

const pgUrl = inject("pgUrl");
const redisUrl = inject("redisUrl");
const workDir = mkdtempSync(join(tmpdir(), "aidem-chaos-slow-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
beforeAll(() => assertBuilt());

// Generous against a loaded machine: a heartbeat every leaseMs / 3 must land within the lease.
const LEASE_MS = 600;
const TOOL_MS = (FULL ? 4 : 3) * LEASE_MS;
const FROZEN_TRIALS = FULL ? 5 : 1;

const backends: { name: string; url: unknown; make: () => Promise<ChaosBackend> }[] = [
  { name: "sqlite", url: true, make: async () => sqliteBackend() },
  { name: "postgres", url: pgUrl, make: () => postgresBackend(pgUrl!) },
  { name: "redis", url: redisUrl, make: async () => redisBackend(redisUrl!) },
];

for (const def of backends) {
  describe.skipIf(!def.url)(`slow tool on ${def.name}`, () => {
    let backend: ChaosBackend;
    beforeAll(async () => {
      backend = await def.make();
    });
    afterAll(() => backend?.cleanup());

    it(`run(): a tool running ${TOOL_MS / LEASE_MS} leases keeps its claim by heartbeat; a retry in another process waits and replays`, { timeout: TIMEOUT_MS }, async () => {
      let effects = 0;
      let waited = 0;
      for (let i = 0; i < SLOW_TRIALS; i++) {
        const r = await runSlowTool({ backend, upstream: "ignore", leaseMs: LEASE_MS, toolMs: TOOL_MS, workDir });
        expect(r.errors).toEqual([]);
        expect(r.leaseExtended).toBe(true);
        expect(r.holder?.outcome).toBe("executed");
        expect(r.holder?.completeOk).toBe(true);
        expect(r.holder?.aborted).toBe(false);
        expect(r.retry?.outcome).toBe("replayed");
        expect(r.retry?.value).toEqual(r.holder?.value);
        expect(r.retryWaits).toBeGreaterThan(0);
        expect(r.effects).toBe(1); // the upstream ignores keys: a second run would show here
        expect(r.claimViolations).toBe(0);
        effects += r.effects;
        waited += r.retryWaits;
      }
      report(`slow-tool/${def.name}/heartbeat`, { trials: SLOW_TRIALS, leaseMs: LEASE_MS, toolMs: TOOL_MS, effects, duplicates: effects - SLOW_TRIALS, retryPolls: waited });
    });

    // The frozen-holder runs take a few leases each; the quick run keeps them to one backend.
    const frozen = it.skipIf(!FULL && def.name !== "sqlite");

    frozen("run(): a holder frozen past its lease (SIGSTOP) is taken over; upstream honours the key: 0 duplicates, lease_lost audited", { timeout: TIMEOUT_MS }, async () => {
      let effects = 0;
      for (let i = 0; i < FROZEN_TRIALS; i++) {
        const r = await runSlowTool({ backend, upstream: "honour", leaseMs: LEASE_MS, toolMs: TOOL_MS, pauseHolderMs: 3 * LEASE_MS, workDir });
        expect(r.errors).toEqual([]);
        expect(r.retry?.outcome).toBe("executed");
        expect(r.retry?.attempt).toBe(2);
        expect(r.holder?.outcome).toBe("lease_lost");
        expect(r.holder?.completeOk).toBe(false);
        expect(r.holder?.aborted).toBe(true); // its signal told the tool the lease was gone
        expect(r.effects).toBe(1);
        // Twice for attempt 1: written by the taker, and by the holder when its complete was refused.
        expect(r.audit.filter((e) => e.outcome === "lease_lost").map((e) => e.attempt)).toEqual([1, 1]);
        effects += r.effects;
      }
      report(`slow-tool/${def.name}/frozen-holder-honour`, { trials: FROZEN_TRIALS, effects, duplicates: effects - FROZEN_TRIALS, leaseLostHolders: FROZEN_TRIALS });
    });

    frozen("run(): a frozen holder, upstream ignores keys: the second run happens (the limit), and the audit log shows it", { timeout: TIMEOUT_MS }, async () => {
      let effects = 0;
      for (let i = 0; i < FROZEN_TRIALS; i++) {
        const r = await runSlowTool({ backend, upstream: "ignore", leaseMs: LEASE_MS, toolMs: TOOL_MS, pauseHolderMs: 3 * LEASE_MS, workDir });
        expect(r.errors).toEqual([]);
        expect(r.effects).toBe(2);
        expect(r.holder?.outcome).toBe("lease_lost");
        const key = r.holder!.key;
        expect(r.audit.filter((e) => e.idempotency_key === key).map((e) => [e.outcome, e.attempt]).sort()).toEqual([["executed", 2], ["lease_lost", 1], ["lease_lost", 1]]);
        effects += r.effects;
      }
      report(`slow-tool/${def.name}/frozen-holder-ignore`, { trials: FROZEN_TRIALS, effects, duplicates: effects - FROZEN_TRIALS, duplicatesAuditedAsLeaseLost: effects - FROZEN_TRIALS });
    });
  });
}
