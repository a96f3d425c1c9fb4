/**
 * PostgresStore through PgBouncer (Debian's pgbouncer, started here on a free loopback port and
 * stopped by pid). Transaction pooling: the conformance suite and the cross-process race pass, and
 * setup()'s migrations too (their advisory lock is transaction-scoped, and node-pg sends unnamed
 * statements only). Statement pooling: setup() on a new table refuses with an error that names the
 * fix; once migrated directly, the store works there too. Session pooling: like a direct connection.
 */
import { isIdempotencyError } from "@agent-idempotency/core";
import { claimRequest, describeCrossProcessRace, describeStoreConformance } from "@agent-idempotency/core/testing";
import { PostgresAuditLog, PostgresStore } from "@agent-idempotency/store-postgres";
import { KeyvPostgres } from "@keyv/postgres";
import Keyv from "keyv";
import { afterAll, describe, expect, inject, it } from "vitest";
import { tableNames } from "../../../test/support/unique-tables.js";
import { dropTables } from "./helpers.js";
import type { Bouncer, PoolMode } from "./support/pgbouncer.js";
import { PGBOUNCER, startPgBouncer } from "./support/pgbouncer.js";

const uri = inject("pgUrl");
const dist = new URL("../dist/index.js", import.meta.url).href;
const { table, created: tables } = tableNames();

if (uri && !PGBOUNCER) {
  if (process.env.CI === "true") throw new Error("CI=true but pgbouncer is not installed: .ci/install-extras installs it (apt-get install pgbouncer)");
  console.warn(`\n${"!".repeat(78)}\n!! SKIPPING the PgBouncer suites: pgbouncer is not installed (apt-get install pgbouncer)\n${"!".repeat(78)}\n`);
}

const bouncers: Partial<Record<PoolMode, Promise<Bouncer>>> = {};
/** One bouncer per pool mode for the whole file (the race's workers need its URL when the suite is declared). */
const bouncer = (mode: PoolMode) => (bouncers[mode] ??= startPgBouncer(uri!, mode));

// Started while the file is collected: the race's forked workers get its URL as an option.
const tx: Bouncer | undefined = uri && PGBOUNCER ? await bouncer("transaction") : undefined;

describe.skipIf(!tx)("PostgresStore through PgBouncer", () => {
  afterAll(async () => {
    await dropTables(uri!, tables);
    for (const b of Object.values(bouncers)) await (await b).stop();
  });

  describe("transaction pooling", () => {
    const conf = table("bnc_conf");
    describeStoreConformance("PostgresStore via PgBouncer (transaction pooling)", ({ namespace }) => new PostgresStore({ uri: tx!.url, table: conf, namespace }), {
      test: { describe, it },
      openKeyv: async (_store, { namespace }) => new Keyv(new KeyvPostgres({ uri: tx!.url, table: conf }), { namespace }),
    });

    it("setup(): four instances at once migrate one table exactly once through the pooler", async () => {
      const t = table("bnc_setup");
      const stores = Array.from({ length: 4 }, () => new PostgresStore({ uri: tx!.url, table: t, poolSize: 2 }));
      await Promise.all(stores.map((s) => s.setup()));
      expect((await stores[0]!.claim("k", claimRequest())).outcome).toBe("claimed");
      await Promise.all(stores.map((s) => s.close()));
    });

    it("PostgresAuditLog: writes and reads back through the pooler", async () => {
      const log = new PostgresAuditLog({ uri: tx!.url, table: table("bnc_audit") });
      log.write({ ts: 5, action_type: "a", outcome: "executed", session_id: "s", fingerprint: "f", attempt: 1, duration_ms: 1 });
      const got = [];
      for await (const e of log.query()) got.push(e.ts);
      expect(got).toEqual([5]);
      await log.close();
    });
  });

  describe("statement pooling", () => {
    it("setup(): refuses on a new table with an error that names the fix; after a direct setup the store runs in statement mode", async () => {
      const st = await bouncer("statement");
      const t = table("bnc_stmt");
      const through = new PostgresStore({ uri: st.url, table: t });
      const e = (await through.claim("k", claimRequest()).catch((err: unknown) => err)) as Error;
      expect(isIdempotencyError(e, "STORE_FAILED")).toBe(true);
      expect(`${e.message} ${(e.cause as Error | undefined)?.message}`).toMatch(/statement pooling mode refuses transactions: run setup\(\) once against Postgres directly/);
      const direct = new PostgresStore({ uri: uri!, table: t });
      await direct.setup();
      await direct.close();
      const c = await through.claim("k", claimRequest(0, { now: Date.now() }));
      if (c.outcome !== "claimed") throw new Error("expected a claim");
      expect(await through.complete(c.claim, { value: 1, now: Date.now(), ttlMs: 60_000 })).toBe(true);
      expect((await through.claim("k", claimRequest(0, { now: Date.now() }))).outcome).toBe("existing");
      await through.close();
    });
  });

  if (tx) {
    const raceTable = table("bnc_race");
    describeCrossProcessRace(
      "PostgresStore via PgBouncer (transaction pooling)",
      (mode) => ({ module: dist, export: "PostgresStore", options: { uri: tx.url, table: raceTable, namespace: `race_${mode}`, poolSize: 5 } }),
      { test: { describe, it } },
    );
  }

  describe("session pooling", () => {
    it("claim()/complete(): work as on a direct connection", async () => {
      const se = await bouncer("session");
      const store = new PostgresStore({ uri: se.url, table: table("bnc_sess") });
      const c = await store.claim("k", claimRequest(0, { now: Date.now() }));
      if (c.outcome !== "claimed") throw new Error("expected a claim");
      expect(await store.complete(c.claim, { value: 1, now: Date.now(), ttlMs: 60_000 })).toBe(true);
      await store.close();
    });
  });
});
