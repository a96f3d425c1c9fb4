import { describe, expect, it } from "vitest";
import { createIdempotency, defaultResponseId, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";

describe("defaultResponseId()", () => {
  it.each([
    [{ booking_id: "b_1", status: "confirmed" }, "b_1"],
    [{ id: "ch_1", object: "charge", customer: "cus_1", amount: 4000 }, "ch_1"],
    [{ messageId: "m_7", accepted: true }, "m_7"],
    [{ order_id: 1234 }, "1234"],
    [{ booking_id: "b_1", request_id: "req_9", user_id: "u_1", traceId: "t" }, "b_1"],
  ])("defaultResponseId(%j) is %j", (result, id) => {
    expect(defaultResponseId(result)).toBe(id);
  });

  it.each([
    [{ booking_id: "b_1", calendar_id: "cal_1" }, "two candidates"],
    [{ data: { id: "x" } }, "nested"],
    [{ request_id: "req_9" }, "a request id is not the effect's"],
    [{ id: "" }, "empty"],
    [{ id: 1.5 }, "not an integer"],
    [{ id: { nested: true } }, "not a scalar"],
    [{ id: "x".repeat(201) }, "too long"],
    [["b_1"], "an array"],
    ["booked b_1", "a string"],
    [null, "null"],
    [new (class Booking { id = "b_1"; })(), "not a plain object"],
  ] as [unknown, string][])("defaultResponseId(%j) is undefined (%s)", (result) => {
    expect(defaultResponseId(result)).toBeUndefined();
  });
});

describe("run(): response ids", () => {
  it("run(): a policy without responseId logs the id the default finds; with one, its own; a replay keeps the recorded id", async () => {
    const audit = new MemoryAuditLog();
    const engine = createIdempotency({ store: new MemoryStore(), audit, tools: { book: {}, charge: { responseId: (r) => r.charge.ref } }, onWarning: () => {} });
    let n = 0;
    const book = () => engine.run({ action: "book", args: { slot: "10:00" }, sessionId: "s" }, async () => ({ booking_id: `b_${++n}` }));
    await book();
    await book();
    await engine.run({ action: "charge", args: { amount: 1 }, sessionId: "s" }, async () => ({ id: "ignored", charge: { ref: "ch_9" } }));
    expect(audit.entries.map((e) => [e.action_type, e.outcome, e.response_id])).toEqual([
      ["book", "executed", "b_1"],
      ["book", "replayed", "b_1"],
      ["charge", "executed", "ch_9"],
    ]);
  });

  it("run(): call.toolResult unwraps what fn returned before responseId sees it; the record keeps fn's value", async () => {
    const audit = new MemoryAuditLog();
    const seen: unknown[] = [];
    const engine = createIdempotency({ store: new MemoryStore(), audit, tools: { book: { responseId: (r) => (seen.push(r), r.booking_id) } } });
    const wrapped = { kind: "tool_message", content: '{"booking_id":"b_1"}', status: "success" };
    const call = { action: "book", args: { slot: "10:00" }, sessionId: "s", toolResult: (v: unknown) => JSON.parse((v as typeof wrapped).content) };
    const out = await engine.run(call, async () => wrapped);
    expect(seen).toEqual([{ booking_id: "b_1" }]);
    expect(out.responseId).toBe("b_1");
    expect((await engine.run(call, async () => ({}))).value).toEqual(wrapped);
    expect(audit.entries.map((e) => e.response_id)).toEqual(["b_1", "b_1"]);
  });
});
