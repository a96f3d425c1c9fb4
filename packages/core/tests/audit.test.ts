import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "@agent-idempotency/core";
import { auditReport, JsonlAuditLog, MemoryAuditLog } from "@agent-idempotency/core";

const T = Date.UTC(2026, 10, 23, 9);
let n = 0;
const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  ts: T + n++ * 1000,
  action_type: "book_calendar",
  idempotency_key: `k${n}`,
  outcome: "executed",
  session_id: `s${n}`,
  fingerprint: `f${n}`,
  attempt: 1,
  duration_ms: 5,
  ...over,
});

/** Clean traffic (each call once, some replays) with the two planted anomalies of the design. */
function plantedLog(): AuditEntry[] {
  n = 0;
  const log: AuditEntry[] = [];
  for (let i = 0; i < 200; i++) {
    const key = `clean-${i}`;
    log.push(entry({ idempotency_key: key, response_id: `r-${i}`, session_id: `s-${i % 7}`, fingerprint: `fp-${i}` }));
    if (i % 3 === 0) log.push(entry({ idempotency_key: key, response_id: `r-${i}`, outcome: "replayed", session_id: `s-${i % 7}`, fingerprint: `fp-${i}` }));
  }
  // one key, two response ids: the upstream ignored the key
  log.push(entry({ action_type: "charge_card", idempotency_key: "dup-key", response_id: "ch_1", session_id: "s-x", fingerprint: "fp-charge" }));
  log.push(entry({ action_type: "charge_card", idempotency_key: "dup-key", response_id: "ch_2", session_id: "s-x", fingerprint: "fp-charge", attempt: 2 }));
  // one action under three keys within 60 s: a timestamp in the identity
  for (const k of ["ts-1", "ts-2", "ts-3"]) {
    log.push(entry({ action_type: "send_email", idempotency_key: k, session_id: "s-y", fingerprint: "fp-email", response_id: `m-${k}` }));
  }
  // the same fingerprint executed again, but 2 minutes later: outside the window, not a flag
  log.push(entry({ action_type: "search", idempotency_key: "q-1", session_id: "s-z", fingerprint: "fp-q" }));
  log.push(entry({ ts: T + 10_000_000, action_type: "search", idempotency_key: "q-2", session_id: "s-z", fingerprint: "fp-q" }));
  return log.sort((a, b) => a.ts - b.ts);
}

describe("auditReport()", () => {
  it("auditReport(): raises exactly the two planted flags, with their evidence", async () => {
    const report = await auditReport(plantedLog(), { windowMs: 60_000 });
    expect(report.flags).toHaveLength(2);
    const byKind = Object.fromEntries(report.flags.map((f) => [f.kind, f]));
    expect(byKind.one_key_several_response_ids).toMatchObject({ action_type: "charge_card", idempotency_key: "dup-key", response_ids: ["ch_1", "ch_2"], sessions: ["s-x"] });
    expect(byKind.one_action_several_keys).toMatchObject({ action_type: "send_email", session_id: "s-y", fingerprint: "fp-email", keys: ["ts-1", "ts-2", "ts-3"], executions: 3 });
    const book = report.actions.find((a) => a.action_type === "book_calendar")!;
    expect(book.counts.executed).toBe(200);
    expect(book.counts.replayed).toBe(67);
    expect(report.entries).toBe(200 + 67 + 2 + 3 + 2);
  });

  it("auditReport(): since/until select a window, and a clean log has no flags", async () => {
    const log = plantedLog();
    const clean = await auditReport(log, { until: T + 150 * 1000 });
    expect(clean.flags).toEqual([]);
    expect(clean.entries).toBeLessThan(log.length);
  });

  it("auditReport(): forgets keys older than keyHorizonMs, so a key reused after its record expired is not a flag", async () => {
    const day = 86_400_000;
    const log: AuditEntry[] = [];
    log.push(entry({ ts: T, idempotency_key: "reused", response_id: "r-1" }));
    for (let i = 0; i < 120_000; i++) log.push(entry({ ts: T + 1000 + i * 3000, idempotency_key: `filler-${i}`, response_id: `f-${i}`, fingerprint: `fp-${i}` }));
    log.push(entry({ ts: T + 4 * day, idempotency_key: "reused", response_id: "r-2" }));
    log.push(entry({ ts: T + 4 * day + 1, idempotency_key: "filler-119999", response_id: "f-other" }));
    const report = await auditReport(log);
    expect(report.flags.map((f) => (f.kind === "one_key_several_response_ids" ? f.idempotency_key : f.kind))).toEqual(["filler-119999"]);
    const wide = await auditReport(log, { keyHorizonMs: 10 * day });
    expect(wide.flags.map((f) => (f.kind === "one_key_several_response_ids" ? f.idempotency_key : f.kind)).sort()).toEqual(["filler-119999", "reused"]);
  });

  it("auditReport(): reads a sink's stream", async () => {
    const sink = new MemoryAuditLog();
    for (const e of plantedLog()) sink.write(e);
    expect((await auditReport(sink.query())).flags).toHaveLength(2);
  });
});

describe("JsonlAuditLog", () => {
  const dir = mkdtempSync(join(tmpdir(), "idem-audit-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("JsonlAuditLog: entries round-trip through the file and query() filters by time", async () => {
    const path = join(dir, "a", "audit.jsonl");
    const log = new JsonlAuditLog(path);
    const entries = plantedLog();
    for (const e of entries) log.write(e);
    await log.close();
    const back: AuditEntry[] = [];
    for await (const e of new JsonlAuditLog(path).query()) back.push(e);
    expect(back).toEqual(entries);
    const some: AuditEntry[] = [];
    for await (const e of new JsonlAuditLog(path).query({ since: T + 10_000, until: T + 20_000 })) some.push(e);
    expect(some.length).toBe(10);
  });

  it("JsonlAuditLog: a process that exits without close() loses no entry", () => {
    const path = join(dir, "exit.jsonl");
    const core = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    execFileSync(process.execPath, [
      "--input-type=module",
      "-e",
      `import { JsonlAuditLog } from ${JSON.stringify(core)};
       const log = new JsonlAuditLog(${JSON.stringify(path)});
       for (let i = 0; i < 1000; i++) log.write({ ts: i, action_type: "a", outcome: "executed", session_id: "s", fingerprint: "f", attempt: 1, duration_ms: 0 });
       process.exit(0);`,
    ]);
    expect(readFileSync(path, "utf8").trim().split("\n")).toHaveLength(1000);
  });
});
