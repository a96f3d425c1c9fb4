/**
 * The audit's planted cases through `idempotencyMiddleware` (the node's are in test/integration on
 * SQLite and Postgres): an upstream that ignores the key plus an expired record raises flag 1 with
 * both response ids; a deliberate repeat in a new turn raises no flag, only a review entry; a retry
 * whose turn id changed raises flag 2.
 */
import { auditReport, createIdempotency, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import { FakeClock } from "@agent-idempotency/core/testing";
import { AIMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import { createAgent } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { idempotencyMiddleware } from "../src/index.js";
import { book, human, thread } from "./helpers.js";

/** An upstream that ignores idempotency keys: every call is a new booking. */
function setup() {
  const bookings: string[] = [];
  const bookTool = tool(async ({ slot }) => ({ booking_id: `bk_${bookings.push(slot)}`, slot }), {
    name: "book_calendar",
    description: "Book a slot",
    schema: z.object({ slot: z.string() }),
  });
  const clock = new FakeClock();
  const audit = new MemoryAuditLog();
  // No responseId: the default finds booking_id in the tool's own result.
  const idempotency = createIdempotency({ store: new MemoryStore(), clock, audit, tools: { book_calendar: { identity: ["slot"], ttlMs: 60_000 } } });
  /** One model turn per call id, or with `inOneTurn` every call in the same turn (the model repeating itself). */
  const agent = (calls: string[], checkpointer?: MemorySaver, inOneTurn = false) => {
    const model = fakeModel();
    for (const id of calls) {
      model.respondWithTools([book("10:00", id)]);
      if (!inOneTurn) model.respond(new AIMessage("booked"));
    }
    if (inOneTurn) model.respond(new AIMessage("booked"));
    return createAgent({ model, tools: [bookTool], middleware: [idempotencyMiddleware({ idempotency })], ...(checkpointer ? { checkpointer } : {}) });
  };
  return { bookings, clock, audit, agent };
}

describe("idempotencyMiddleware: the audit's planted cases", () => {
  it("flag 1: the record expired and the upstream ignored the key: one key, both response ids", async () => {
    const { bookings, clock, audit, agent } = setup();
    const a = agent(["c1", "c2"]);
    await a.invoke({ messages: [human("book 10:00", "h-1")] }, thread("t-expired"));
    clock.advance(61_000); // past ttlMs: the key is free again
    await a.invoke({ messages: [human("book 10:00", "h-1")] }, thread("t-expired")); // the same turn, retried
    expect(bookings).toHaveLength(2);
    const report = await auditReport(audit.entries);
    expect(report.flags).toMatchObject([{ kind: "one_key_several_response_ids", response_ids: ["bk_1", "bk_2"], key_sent: true, cause: "key_ignored_or_record_lost" }]);
    expect(report.review).toEqual([]);
  });

  it("review: a deliberate repeat in a new turn raises no flag, only a review entry with both turns", async () => {
    const { bookings, clock, audit, agent } = setup();
    const a = agent(["c1", "c2"], new MemorySaver());
    await a.invoke({ messages: [human("book 10:00", "h-1")] }, thread("t-again"));
    clock.advance(20_000);
    await a.invoke({ messages: [human("book it again", "h-2")] }, thread("t-again"));
    expect(bookings).toHaveLength(2);
    const report = await auditReport(audit.entries);
    expect(report.flags).toEqual([]);
    expect(report.review).toHaveLength(1);
    expect(report.review[0]!.executions.map((x) => [x.scope, x.turn?.split(":")[0]])).toEqual([
      ['turn:["t-again","h-1"]', "1"],
      ['turn:["t-again","h-2"]', "2"],
    ]);
  });

  it("flag 2: a retry whose turn id changed (the history re-sent with a new message id)", async () => {
    const { bookings, clock, audit, agent } = setup();
    const a = agent(["c1", "c2"]);
    await a.invoke({ messages: [human("book 10:00", "h-1")] }, thread("t-retry"));
    clock.advance(5_000);
    await a.invoke({ messages: [human("book 10:00", "h-1-resent")] }, thread("t-retry"));
    expect(bookings).toHaveLength(2);
    const report = await auditReport(audit.entries);
    expect(report.flags).toMatchObject([{ kind: "one_action_several_keys", cause: "turn_id_changed", executions: 2, scopes: ['turn:["t-retry","h-1"]', 'turn:["t-retry","h-1-resent"]'] }]);
    expect(report.review).toEqual([]);
  });

  it("correct behaviour: a repeated call in one turn replays; the report is clean and names no blind spot", async () => {
    const { bookings, audit, agent } = setup();
    await agent(["c1", "c2"], undefined, true).invoke({ messages: [human("book 10:00", "h-1")] }, thread("t-clean"));
    expect(bookings).toHaveLength(1);
    const report = await auditReport(audit.entries);
    expect(report.flags).toEqual([]);
    expect(report.review).toEqual([]);
    expect(report.blind_spots).toEqual({ no_response_ids: [], unguarded_repeats: [] });
    expect(audit.entries.map((e) => [e.outcome, e.response_id])).toEqual([["executed", "bk_1"], ["replayed", "bk_1"]]);
  });
});
