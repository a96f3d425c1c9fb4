/**
 * The report tells a broken key from a deliberate repeat, gives each flag the cause that fits it,
 * names its blind spots, and reads whatever it is given without crashing or dropping it silently.
 */
import { describe, expect, it } from "vitest";
import type { AuditEntry, AuditFlag } from "@agent-idempotency/core";
import { auditReport, MalformedTally, MemoryAuditLog } from "@agent-idempotency/core";
import { parseTimestamp, readAuditEntry } from "@agent-idempotency/core/store";

const T = Date.UTC(2026, 10, 23, 9);
const turn = (thread: string, human: string) => `turn:${JSON.stringify([thread, human])}`;
const exec = (over: Partial<AuditEntry>): AuditEntry => ({
  ts: T,
  action_type: "send_email",
  outcome: "executed",
  session_id: "t-1",
  fingerprint: "fp-email",
  attempt: 1,
  duration_ms: 3,
  key_sent: true,
  ...over,
});
const kinds = (flags: AuditFlag[]) => flags.map((f) => `${f.kind}:${f.cause}`);

describe("auditReport(): flag 2 split by cause", () => {
  it("auditReport(): the same call in a new turn within the window is listed for review, with both turns, and raises no flag", async () => {
    const report = await auditReport([
      exec({ ts: T, idempotency_key: "k-1", scope: turn("t-1", "h-1"), turn: "1:aaaa", response_id: "m-1" }),
      exec({ ts: T + 20_000, idempotency_key: "k-2", scope: turn("t-1", "h-2"), turn: "2:bbbb", response_id: "m-2" }),
    ]);
    expect(report.flags).toEqual([]);
    expect(report.review).toEqual([
      {
        kind: "repeated_in_new_turn",
        action_type: "send_email",
        fingerprint: "fp-email",
        session_id: "t-1",
        executions: [
          { ts: T, idempotency_key: "k-1", scope: turn("t-1", "h-1"), turn: "1:aaaa" },
          { ts: T + 20_000, idempotency_key: "k-2", scope: turn("t-1", "h-2"), turn: "2:bbbb" },
        ],
        first_ts: T,
        last_ts: T + 20_000,
      },
    ]);
  });

  it("auditReport(): same scope, different keys is a flag (key_changed_in_scope)", async () => {
    const report = await auditReport([
      exec({ ts: T, idempotency_key: "k-1", scope: "thread:t-1" }),
      exec({ ts: T + 5_000, idempotency_key: "k-2", scope: "thread:t-1" }),
    ]);
    expect(kinds(report.flags)).toEqual(["one_action_several_keys:key_changed_in_scope"]);
    expect(report.flags[0]).toMatchObject({ keys: ["k-1", "k-2"], scopes: ["thread:t-1"], executions: 2 });
    expect(report.review).toEqual([]);
  });

  it("auditReport(): the same turn under a new message id is a flag (turn_id_changed), not a review", async () => {
    const report = await auditReport([
      exec({ ts: T, idempotency_key: "k-1", scope: turn("t-1", "h-1"), turn: "1:aaaa" }),
      exec({ ts: T + 5_000, idempotency_key: "k-2", scope: turn("t-1", "h-1-retry"), turn: "1:aaaa" }),
    ]);
    expect(kinds(report.flags)).toEqual(["one_action_several_keys:turn_id_changed"]);
    expect(report.flags[0]).toMatchObject({ scopes: [turn("t-1", "h-1"), turn("t-1", "h-1-retry")] });
    expect(report.review).toEqual([]);
  });

  it("auditReport(): entries without a scope (an older writer) are flagged as scope_unknown", async () => {
    const report = await auditReport([exec({ ts: T, idempotency_key: "k-1", key_sent: undefined }), exec({ ts: T + 1, idempotency_key: "k-2", key_sent: undefined })]);
    expect(kinds(report.flags)).toEqual(["one_action_several_keys:scope_unknown"]);
  });

  it("auditReport(): a repeat outside the window is neither flagged nor listed", async () => {
    const report = await auditReport([
      exec({ ts: T, idempotency_key: "k-1", scope: "thread:t-1" }),
      exec({ ts: T + 61_000, idempotency_key: "k-2", scope: "thread:t-1" }),
    ]);
    expect(report.flags).toEqual([]);
    expect(report.review).toEqual([]);
  });
});

describe("auditReport(): flag 1 names its cause", () => {
  it("auditReport(): a key that was sent and produced two response ids: the upstream ignored it or the record was lost", async () => {
    const report = await auditReport([
      exec({ ts: T, idempotency_key: "k", response_id: "ch_1", scope: "s" }),
      exec({ ts: T + 3_600_000, idempotency_key: "k", response_id: "ch_2", scope: "s" }),
    ]);
    expect(report.flags).toMatchObject([{ kind: "one_key_several_response_ids", response_ids: ["ch_1", "ch_2"], key_sent: true, cause: "key_ignored_or_record_lost" }]);
  });

  it("auditReport(): an observe-only key that was never sent: ran twice with no guard", async () => {
    const report = await auditReport([
      exec({ ts: T, idempotency_key: "k", response_id: "ch_1", outcome: "unguarded", key_sent: false }),
      exec({ ts: T + 1_000, idempotency_key: "k", response_id: "ch_2", outcome: "duplicate", key_sent: false }),
    ]);
    expect(report.flags).toMatchObject([{ kind: "one_key_several_response_ids", key_sent: false, cause: "no_guard" }]);
  });
});

describe("auditReport(): blind spots", () => {
  it("auditReport(): lists guarded actions without any response id, and unguarded actions that repeated", async () => {
    const report = await auditReport([
      exec({ ts: T, action_type: "send_email", idempotency_key: "e-1", scope: "s" }),
      exec({ ts: T + 1, action_type: "send_email", idempotency_key: "e-2", fingerprint: "fp-2", scope: "s" }),
      exec({ ts: T + 2, action_type: "charge_card", idempotency_key: "c-1", response_id: "ch_1", scope: "s" }),
      exec({ ts: T + 3, action_type: "charge_card", idempotency_key: "c-2", fingerprint: "fp-c2", scope: "s" }),
      exec({ ts: T + 4, action_type: "post_tweet", outcome: "unguarded", key_sent: false, fingerprint: "fp-t" }),
      exec({ ts: T + 5, action_type: "post_tweet", outcome: "unguarded", key_sent: false, fingerprint: "fp-t" }),
      exec({ ts: T + 6, action_type: "post_tweet", outcome: "unguarded", key_sent: false, fingerprint: "fp-other" }),
      exec({ ts: T + 7, action_type: "search", outcome: "unguarded", key_sent: false, fingerprint: "fp-q" }),
    ]);
    expect(report.blind_spots.no_response_ids).toEqual([{ action_type: "send_email", executions: 2 }]);
    expect(report.blind_spots.unguarded_repeats).toEqual([
      { action_type: "post_tweet", groups: 1, executions: 2, worst: { session_id: "t-1", fingerprint: "fp-t", executions: 2, first_ts: T + 4, last_ts: T + 5 } },
    ]);
  });
});

describe("auditReport(): whatever it is given", () => {
  it("parseTimestamp(): epoch ms and ISO-8601 in the spellings other services write", () => {
    expect(parseTimestamp(T)).toBe(T);
    expect(parseTimestamp("2026-11-23T09:00:00Z")).toBe(T);
    expect(parseTimestamp("2026-11-23T10:00:00+01:00")).toBe(T);
    expect(parseTimestamp("2026-11-23T10:00:00+0100")).toBe(T);
    expect(parseTimestamp("2026-11-23 09:00:00.000123Z")).toBe(T);
    expect(parseTimestamp("2026-11-23T09:00:00")).toBe(T); // no zone: UTC
    expect(parseTimestamp("2026-11-23T09:00:00.5Z")).toBe(T + 500);
    for (const bad of ["2026-11-23", "yesterday", "2026-02-30T00:00:00Z", "2026-11-23T25:00:00Z", "", NaN, Infinity, 9e15, null, {}, "1732000000000"]) {
      expect(parseTimestamp(bad), String(bad)).toBeUndefined();
    }
  });

  it("auditReport(): ISO-8601 ts are read, not a RangeError", async () => {
    const report = await auditReport([
      { ...exec({ idempotency_key: "k-1", scope: "s" }), ts: "2026-11-23T09:00:00Z" },
      { ...exec({ idempotency_key: "k-1", scope: "s", outcome: "replayed" }), ts: "2026-11-23T09:00:05.250+00:00" },
    ] as unknown[]);
    expect(report.entries).toBe(2);
    expect(report.first_ts).toBe(T);
    expect(report.last_ts).toBe(T + 5_250);
    expect(report.days).toEqual([{ day: "2026-11-23", executed: 1, replayed: 1 }]);
  });

  it("auditReport(): malformed records are counted with their position; unknown outcomes are counted by name, in no flag", async () => {
    const report = await auditReport([
      exec({ idempotency_key: "k-1" }),
      "not an entry",
      { ts: "soon", action_type: "x", outcome: "executed" },
      { ts: T, outcome: "executed" },
      exec({ outcome: "teleported" as AuditEntry["outcome"], idempotency_key: "k-2" }),
      exec({ outcome: "teleported" as AuditEntry["outcome"], idempotency_key: "k-3" }),
    ] as unknown[]);
    expect(report.entries).toBe(3);
    expect(report.malformed).toEqual({
      count: 3,
      first: [
        { index: 2, reason: "not a JSON object" },
        { index: 3, reason: "ts is neither epoch milliseconds nor an ISO-8601 time" },
        { index: 4, reason: "no action_type" },
      ],
    });
    expect(report.unknown_outcomes).toEqual({ teleported: 2 });
    expect(report.actions).toEqual([{ action_type: "send_email", counts: expect.objectContaining({ executed: 1 }), unknown: 2, total: 3 }]);
    expect(report.flags).toEqual([]);
  });

  it("readAuditEntry(): our own entries come back as the same object; numeric ids become strings", () => {
    const e = exec({ idempotency_key: "k" });
    expect(readAuditEntry(e).entry).toBe(e);
    expect(readAuditEntry({ ts: T, action_type: "a", outcome: "executed", response_id: 42 }).entry).toEqual({
      ts: T, action_type: "a", outcome: "executed", session_id: "", fingerprint: "", attempt: 1, duration_ms: 0, response_id: "42",
    });
    expect(readAuditEntry({ ts: T, action_type: "a", outcome: "executed", idempotency_key: { x: 1 } }).reason).toBe("idempotency_key is not a string");
  });

  it("MemoryAuditLog.query(): reports entries it cannot read to onMalformed, and a shared tally reaches the report", async () => {
    const log = new MemoryAuditLog();
    log.write(exec({ idempotency_key: "k" }));
    log.write({ ts: "never" } as unknown as AuditEntry);
    const malformed = new MalformedTally();
    const report = await auditReport(log.query({ onMalformed: (p) => malformed.add(p) }), { malformed });
    expect(report.entries).toBe(1);
    expect(report.malformed).toEqual({ count: 1, first: [{ index: 2, reason: "ts is neither epoch milliseconds nor an ISO-8601 time" }] });
  });

  it("auditReport(): counts what live detection did", async () => {
    const report = await auditReport([
      exec({ idempotency_key: "k-1", scope: "a" }),
      exec({ ts: T + 1, idempotency_key: "k-2", scope: "b", repeat_of: "k-1", repeat_decision: "proceed" }),
      exec({ ts: T + 2, idempotency_key: "k-3", scope: "c", outcome: "failed", repeat_of: "k-1", repeat_decision: "refuse" }),
      exec({ ts: T + 3, idempotency_key: "k-4", scope: "d", outcome: "failed", repeat_of: "k-1", repeat_decision: "deferred" }),
    ]);
    expect(report.live).toEqual({ detected: 3, proceeded: 1, refused: 1, deferred: 1 });
  });
});

describe("run(): what the engine logs", () => {
  it("run(): entries carry the scope the key was derived in, whether the key was sent, and the turn", async () => {
    const { createIdempotency, MemoryStore } = await import("@agent-idempotency/core");
    const audit = new MemoryAuditLog();
    const engine = createIdempotency({ store: new MemoryStore(), audit, tools: { book: { identity: ["slot"] } }, onWarning: () => {} });
    const call = { action: "book", args: { slot: "10:00" }, sessionId: "t-1", scope: turn("t-1", "h-1"), turn: "1:abcd" };
    await engine.run(call, async () => ({ booking_id: "b_1" }));
    await engine.run(call, async () => ({ booking_id: "b_2" }));
    await engine.run({ action: "search", args: { q: "x" }, sessionId: "t-1" }, async () => []);
    await engine.run({ action: "book", args: {}, sessionId: "t-1", scope: "thread:t-1" }, async () => "never").catch(() => undefined);
    expect(audit.entries.map((e) => [e.outcome, e.scope, e.key_sent, e.turn, e.response_id])).toEqual([
      ["executed", turn("t-1", "h-1"), true, "1:abcd", "b_1"],
      ["replayed", turn("t-1", "h-1"), true, "1:abcd", "b_1"],
      ["unguarded", undefined, false, undefined, undefined],
      ["failed", "thread:t-1", false, undefined, undefined],
    ]);
  });
});
