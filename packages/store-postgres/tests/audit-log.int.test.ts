/** PostgresAuditLog against the real server: buffering, ranges, paging, ownership. */
import type { AuditEntry } from "@agent-idempotency/core";
import { auditReport, createIdempotency, MemoryStore } from "@agent-idempotency/core";
import { PostgresAuditLog } from "@agent-idempotency/store-postgres";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { tableNames } from "../../../test/support/unique-tables.js";
import { dropTables, withAdmin } from "./helpers.js";

const uri = inject("pgUrl")!;
const { table, created: tables } = tableNames();

const T = Date.UTC(2026, 11, 1);
function entry(i: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    ts: T + i,
    action_type: i % 2 ? "charge_card" : "send_email",
    idempotency_key: `k${i}`,
    response_id: i % 3 ? `r${i}` : undefined,
    outcome: "executed",
    session_id: `s${i % 7}`,
    tool_call_id: i % 5 ? `call_${i}` : undefined,
    fingerprint: "f".repeat(32),
    attempt: 1 + (i % 2),
    duration_ms: i / 4,
    scope: i % 4 ? `turn:["s${i % 7}","h${i}"]` : undefined,
    key_sent: i % 4 ? i % 8 !== 1 : undefined,
    turn: i % 4 === 2 ? `${i}:abcd` : undefined,
    repeat_of: i % 6 === 0 ? `k${i - 1}` : undefined,
    repeat_decision: i % 6 === 0 ? (i % 12 ? "proceed" : "refuse") : undefined,
    ...over,
  };
}
const strip = (e: AuditEntry) => JSON.parse(JSON.stringify(e)) as AuditEntry;

async function collect(it: AsyncIterable<AuditEntry>): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe.skipIf(!inject("pgUrl"))("PostgresAuditLog (real server)", () => {
  afterAll(() => dropTables(uri, tables));

  it("setup(): a table of the previous schema gains the new columns; its old rows read back without them", async () => {
    const t = table("oldschema");
    await withAdmin(uri, async (c) => {
      await c.query(
        `CREATE TABLE "${t}" (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ts BIGINT NOT NULL, action_type TEXT NOT NULL, ` +
          "idempotency_key TEXT, response_id TEXT, outcome TEXT NOT NULL, session_id TEXT NOT NULL, tool_call_id TEXT, " +
          "fingerprint TEXT NOT NULL, attempt INTEGER NOT NULL, duration_ms DOUBLE PRECISION NOT NULL)",
      );
      await c.query(`CREATE TABLE "${t}_migrations" (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      await c.query(`INSERT INTO "${t}_migrations" (version, description) VALUES (0, 'audit table'), (1, 'index')`);
      await c.query(`INSERT INTO "${t}" (ts, action_type, outcome, session_id, fingerprint, attempt, duration_ms) VALUES ($1, 'a', 'executed', 's', 'f', 1, 0)`, [T]);
    });
    const log = new PostgresAuditLog({ uri, table: t });
    log.write(entry(2));
    await log.flush();
    const back = await collect(log.query());
    await log.close();
    expect(back).toEqual([{ ts: T, action_type: "a", outcome: "executed", session_id: "s", fingerprint: "f", attempt: 1, duration_ms: 0 }, strip(entry(2))]);
  });

  it("close(): every write is readable afterwards, in order, from a new instance", async () => {
    const t = table("audit");
    const log = new PostgresAuditLog({ uri, table: t });
    const written = Array.from({ length: 25 }, (_, i) => entry(i, { tool_call_id: `it's "quoted", {braced}` }));
    for (const e of written) log.write(e);
    expect(log.pending).toBe(25); // write() only buffered
    await log.close();
    const reader = new PostgresAuditLog({ uri, table: t });
    expect(await collect(reader.query())).toEqual(written.map(strip));
    await reader.close();
  });

  it("write(): a batch reaches the table on the next tick, as one INSERT per batch", async () => {
    const t = table("tick");
    const log = new PostgresAuditLog({ uri, table: t, batchSize: 4 });
    await log.setup();
    for (let i = 0; i < 10; i++) log.write(entry(i));
    const count = () => withAdmin(uri, async (c) => (await c.query(`SELECT count(*)::int AS n FROM "${t}"`)).rows[0].n as number);
    while ((await count()) < 10) await new Promise((r) => setTimeout(r, 10));
    expect(log.pending).toBe(0);
    const xmins = await withAdmin(uri, async (c) => (await c.query(`SELECT count(DISTINCT xmin::text)::int AS n FROM "${t}"`)).rows[0].n);
    expect(xmins).toBe(3); // 4 + 4 + 2 rows: three statements, not ten
    await log.close();
  });

  it("query(): since is inclusive, until exclusive, oldest first, equal timestamps in write order", async () => {
    const t = table("range");
    const log = new PostgresAuditLog({ uri, table: t, pageSize: 3 });
    const written = [5, 1, 3, 3, 3, 9, 7, 3].map((at, i) => entry(i, { ts: T + at, idempotency_key: `k${i}` }));
    for (const e of written) log.write(e);
    await log.flush();
    const keys = async (range: { since?: number; until?: number }) => (await collect(log.query(range))).map((e) => e.idempotency_key);
    expect(await keys({})).toEqual(["k1", "k2", "k3", "k4", "k7", "k0", "k6", "k5"]);
    expect(await keys({ since: T + 3, until: T + 7 })).toEqual(["k2", "k3", "k4", "k7", "k0"]);
    expect(await keys({ since: T + 4 })).toEqual(["k0", "k6", "k5"]);
    expect(await keys({ until: T + 3 })).toEqual(["k1"]);
    expect(await keys({ since: T + 100 })).toEqual([]);
    await log.close();
  });

  it("query(): 10 000 entries round-trip, streamed in pages", async () => {
    const t = table("bulk");
    const log = new PostgresAuditLog({ uri, table: t });
    const written = Array.from({ length: 10_000 }, (_, i) => entry(i));
    for (const e of written) log.write(e);
    await log.close();
    const reader = new PostgresAuditLog({ uri, table: t, pageSize: 700 });
    let n = 0;
    for await (const e of reader.query()) {
      expect(e).toEqual(strip(written[n]!));
      n++;
    }
    expect(n).toBe(10_000);
    expect((await collect(reader.query({ since: T + 2500, until: T + 7500 }))).length).toBe(5000);
    await reader.close();
  });

  it("engine: the audit trail of real calls feeds auditReport", async () => {
    const t = table("engine");
    const audit = new PostgresAuditLog({ uri, table: t });
    const idem = createIdempotency({ store: new MemoryStore(), audit, tools: { charge: { responseId: (r: { id: string }) => r.id } } });
    await idem.run({ action: "charge", args: { n: 1 }, sessionId: "s" }, async () => ({ id: "ch_1" }));
    await idem.run({ action: "charge", args: { n: 1 }, sessionId: "s" }, async () => ({ id: "ch_2" }));
    await idem.close();
    const reader = new PostgresAuditLog({ uri, table: t });
    const entries = await collect(reader.query());
    expect(entries.map((e) => e.outcome)).toEqual(["executed", "replayed"]);
    expect((await auditReport(reader.query())).flags).toEqual([]);
    // A planted second execution of the same key with another response id is flagged from the table.
    reader.write({ ...entries[0]!, ts: entries[0]!.ts + 1, response_id: "ch_other" });
    const flags = (await auditReport(reader.query())).flags;
    expect(flags.map((f) => f.kind)).toEqual(["one_key_several_response_ids"]);
    await reader.close();
  });

  it("exit: a process that writes and simply ends (no close()) loses nothing", async () => {
    const t = table("exit");
    const dir = mkdtempSync(join(tmpdir(), "aidem-audit-"));
    const script = join(dir, "writer.mjs");
    const dist = new URL("../dist/index.js", import.meta.url).href; // built by tsc -b, like the race workers
    writeFileSync(
      script,
      `import { PostgresAuditLog } from ${JSON.stringify(dist)};\n` +
        `const log = new PostgresAuditLog({ uri: ${JSON.stringify(uri)}, table: ${JSON.stringify(t)} });\n` +
        "for (let i = 0; i < 2500; i++) log.write({ ts: i, action_type: 'a', outcome: 'executed', session_id: 's', fingerprint: 'f', attempt: 1, duration_ms: 0 });\n",
    );
    try {
      execFileSync(process.execPath, [script], { stdio: "inherit" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await withAdmin(uri, async (c) => (await c.query(`SELECT count(*)::int AS n FROM "${t}"`)).rows[0].n)).toBe(2500);
  });

  it("close(): an injected pool stays usable", async () => {
    const t = table("pool");
    const pool = new pg.Pool({ connectionString: uri, max: 1 });
    try {
      const log = new PostgresAuditLog({ uri, table: t, pool });
      log.write(entry(1));
      await log.close();
      expect((await pool.query(`SELECT count(*)::int AS n FROM "${t}"`)).rows[0].n).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
