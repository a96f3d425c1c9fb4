import type { AuditEntry, AuditSink } from "@agent-idempotency/core";
import { auditReport, createIdempotency, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import { IdempotentToolNode } from "@agent-idempotency/langgraph";
import { AIMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { StructuredTool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { createAgent } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { DuplicateToolCall } from "../src/index.js";
import { IdempotencyCallbackHandler, idempotencyMiddleware, withIdempotency } from "../src/index.js";
import { book, bookingTool, flakyTool, human, scriptedModel, thread } from "./helpers.js";

const policies = { book_calendar: { identity: ["slot"], responseId: (r: { booking_id: string }) => r.booking_id } };
const summary = (entries: AuditEntry[]) => entries.map((e) => `${e.tool_call_id ?? "-"}:${e.outcome}`);

function observer(options: Partial<ConstructorParameters<typeof IdempotencyCallbackHandler>[0]> = {}) {
  const log = new MemoryAuditLog();
  const duplicates: DuplicateToolCall[] = [];
  const handler = new IdempotencyCallbackHandler({ audit: log, onDuplicate: (d) => void duplicates.push(d), ...options });
  return { log, duplicates, handler };
}

describe("IdempotencyCallbackHandler", () => {
  it("handleToolEnd(): on a stock agent whose model repeats a call, reports the duplicate and writes both entries", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const { log, duplicates, handler } = observer({ policies });
    const agent = createAgent({ model: scriptedModel([book("10:00", "c1")], [book("10:00", "c2")]), tools: [bookTool] });
    await agent.invoke({ messages: [human("book 10:00")] }, { ...thread("t-stock"), callbacks: [handler] });

    expect(effects).toHaveLength(2);
    expect(summary(log.entries)).toEqual(["c1:unguarded", "c2:duplicate"]);
    const [first, second] = log.entries;
    expect(first).toMatchObject({ action_type: "book_calendar", session_id: "t-stock", response_id: "b_1", attempt: 1 });
    expect(second).toMatchObject({ idempotency_key: first!.idempotency_key, fingerprint: first!.fingerprint, response_id: "b_2" });
    expect(first!.idempotency_key).toMatch(/^[0-9a-f]{32}$/);
    expect(duplicates).toHaveLength(1);
    expect(duplicates[0]).toMatchObject({ action_type: "book_calendar", session_id: "t-stock", executions: 2, guarded: false, first: { tool_call_id: "c1" }, again: { tool_call_id: "c2" } });
    const report = await auditReport(log.entries);
    // No key was ever sent: the flag says the tool ran twice with no guard, not that an upstream ignored a key.
    expect(report.flags).toMatchObject([{ kind: "one_key_several_response_ids", response_ids: ["b_1", "b_2"], key_sent: false, cause: "no_guard" }]);
    expect(log.entries.map((e) => [e.key_sent, e.scope])).toEqual([[false, "thread:t-stock"], [false, "thread:t-stock"]]);
  });

  it("handleToolEnd(): on an agent guarded by the middleware, the log holds one executed and one replayed entry", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const { log, duplicates, handler } = observer();
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: policies, audit: log });
    const agent = createAgent({ model: scriptedModel([book("10:00", "c1")], [book("10:00", "c2")]), tools: [bookTool], middleware: [idempotencyMiddleware({ idempotency })] });
    await agent.invoke({ messages: [human("book 10:00")] }, { ...thread("t-guarded"), callbacks: [handler] });

    expect(effects).toHaveLength(1);
    expect(summary(log.entries)).toEqual(["c1:executed", "c2:replayed"]);
    expect(duplicates).toEqual([]);
  });

  it("handleToolStart(): on a graph with IdempotentToolNode, given the node's engine: one executed and one replayed entry", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const log = new MemoryAuditLog();
    const duplicates: DuplicateToolCall[] = [];
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: policies, audit: log });
    const model = scriptedModel([book("10:00", "c1")], [book("10:00", "c2")]);
    const graph = createReactAgent({ llm: model, tools: new IdempotentToolNode([bookTool], { idempotency }) });
    const handler = new IdempotencyCallbackHandler({ audit: log, idempotency, onDuplicate: (d) => void duplicates.push(d) });
    await graph.invoke({ messages: [human("book 10:00")] }, { ...thread("t-node"), callbacks: [handler] });

    expect(effects).toHaveLength(1);
    expect(summary(log.entries)).toEqual(["c1:executed", "c2:replayed"]);
    expect(duplicates).toEqual([]);
  });

  it("handleToolStart(): on a graph with IdempotentToolNode, without the node's engine: its marked runs get no second entry", async () => {
    const { tool: bookTool, effects: bookings } = bookingTool();
    const { tool: charge, effects: charges } = flakyTool(1);
    const { log, duplicates, handler } = observer(); // the handler is not given the engine
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: { ...policies, charge_card: { identity: ["order_id"] } }, audit: log });
    const chargeCall = (id: string) => ({ name: "charge_card", args: { order_id: "o-1" }, id });
    const model = scriptedModel([book("10:00", "c1"), chargeCall("c3")], [book("10:00", "c2"), chargeCall("c4")]);
    const graph = createReactAgent({ llm: model, tools: new IdempotentToolNode([bookTool, charge], { idempotency }) });
    await graph.invoke({ messages: [human("book 10:00 and charge o-1")] }, { ...thread("t-node-mark"), callbacks: [handler] });

    expect(bookings).toHaveLength(1);
    expect(charges).toHaveLength(2); // failed once (released), then ran again under the same key
    // Only the engine's entries: one per call, none written by the handler.
    expect(summary(log.entries).sort()).toEqual(["c1:executed", "c2:replayed", "c3:failed", "c4:executed"]);
    expect(duplicates).toEqual([]);
  });

  it("handleToolEnd(): tools without a policy under the middleware or the node: the engine's unguarded entries stand, repeats are reported", async () => {
    for (const kind of ["middleware", "node"] as const) {
      const { tool: bookTool, effects } = bookingTool();
      const { log, duplicates, handler: observeOnly } = observer();
      const idempotency = createIdempotency({ store: new MemoryStore(), tools: {}, audit: log });
      const model = scriptedModel([book("10:00", "c1")], [book("10:00", "c2")]);
      const input = { messages: [human("book 10:00")] };
      if (kind === "middleware") {
        const agent = createAgent({ model, tools: [bookTool], middleware: [idempotencyMiddleware({ idempotency })] });
        await agent.invoke(input, { ...thread(`t-${kind}`), callbacks: [observeOnly] });
      } else {
        const graph = createReactAgent({ llm: model, tools: new IdempotentToolNode([bookTool], { idempotency }) });
        const handler = new IdempotencyCallbackHandler({ audit: log, idempotency, onDuplicate: (d) => void duplicates.push(d) });
        await graph.invoke(input, { ...thread(`t-${kind}`), callbacks: [handler] });
      }
      expect(effects).toHaveLength(2);
      expect(summary(log.entries)).toEqual(["c1:unguarded", "c2:unguarded"]);
      expect(duplicates).toMatchObject([{ guarded: false, first: { tool_call_id: "c1" }, again: { tool_call_id: "c2" } }]);
    }
  });

  it("handleToolEnd(): a guarded tool that ran twice under two keys (the user asked again) is reported, without a second entry", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const { log, duplicates, handler } = observer();
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: policies, audit: log });
    const model = fakeModel().respondWithTools([book("10:00", "c1")]).respond(new AIMessage("booked")).respondWithTools([book("10:00", "c2")]).respond(new AIMessage("booked again"));
    const agent = createAgent({ model, tools: [bookTool], middleware: [idempotencyMiddleware({ idempotency })], checkpointer: new MemorySaver() });
    // Two human turns on one thread: the turn scope gives the second booking a new key.
    await agent.invoke({ messages: [human("book 10:00")] }, { ...thread("t-again"), callbacks: [handler] });
    await agent.invoke({ messages: [human("book 10:00 again")] }, { ...thread("t-again"), callbacks: [handler] });

    expect(effects).toHaveLength(2);
    expect(summary(log.entries)).toEqual(["c1:executed", "c2:executed"]);
    expect(new Set(log.entries.map((e) => e.idempotency_key)).size).toBe(2);
    expect(duplicates).toMatchObject([{ guarded: true, first: { tool_call_id: "c1" }, again: { tool_call_id: "c2" } }]);
    // A deliberate repeat in a new turn: listed for review with both turns, not flagged.
    const report = await auditReport(log.entries);
    expect(report.flags).toEqual([]);
    expect(report.review).toMatchObject([{ kind: "repeated_in_new_turn", executions: [{ turn: expect.stringMatching(/^1:/) }, { turn: expect.stringMatching(/^2:/) }] }]);
  });

  it("handleToolError(): a failing unguarded tool is logged as failed and is not an execution", async () => {
    const { tool: charge, effects } = flakyTool(1);
    const { log, duplicates, handler } = observer();
    const calls = (id: string) => [{ name: "charge_card", args: { order_id: "o-1" }, id }];
    const agent = createAgent({ model: scriptedModel(calls("c1"), calls("c2")), tools: [charge] });
    await agent.invoke({ messages: [human("charge")] }, { ...thread("t-err"), callbacks: [handler] });
    expect(effects).toHaveLength(2);
    expect(summary(log.entries)).toEqual(["c1:failed", "c2:unguarded"]);
    expect(log.entries[0]!.idempotency_key).toBeUndefined(); // no policy: no key
    expect(duplicates).toEqual([]);
  });

  it("write(): a failing sink or onDuplicate never breaks the observed run; both are reported", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const reported: unknown[] = [];
    const broken: AuditSink = {
      write: () => Promise.reject(new Error("disk full")),
      query: async function* () {},
    };
    const handler = new IdempotencyCallbackHandler({
      audit: broken,
      onDuplicate: () => {
        throw new Error("pager down");
      },
      onAuditError: (e) => void reported.push((e as Error).message),
    });
    const agent = createAgent({ model: scriptedModel([book("10:00", "c1")], [book("10:00", "c2")]), tools: [bookTool] });
    const out = await agent.invoke({ messages: [human("book")] }, { ...thread("t-broken"), callbacks: [handler] });
    expect(out.messages.at(-1)!.content).toBe("done");
    expect(effects).toHaveLength(2);
    expect(reported).toEqual(["disk full", "pager down", "disk full"]);
  });

  it("handleToolStart(): a single tool call outside any graph uses the handler's sessionId and the engine's key", async () => {
    const { tool: bookTool } = bookingTool();
    const { log, handler } = observer({ policies, sessionId: "s-1" });
    await bookTool.invoke({ slot: "08:00" }, { callbacks: [handler] });
    const expected = createIdempotency({ store: new MemoryStore(), tools: policies }).deriveKey({ action: "book_calendar", args: { slot: "08:00" }, sessionId: "s-1" });
    expect(log.entries).toMatchObject([{ outcome: "unguarded", session_id: "s-1", idempotency_key: expected!.key, fingerprint: expected!.fingerprint }]);
  });

  it("handleToolEnd(): executions further apart than windowMs are not duplicates", async () => {
    const { tool: bookTool } = bookingTool();
    let now = 1_000_000;
    const { log, duplicates, handler } = observer({ sessionId: "s-w", windowMs: 60_000, clock: { now: () => now } });
    await bookTool.invoke({ slot: "08:00" }, { callbacks: [handler] });
    now += 60_001;
    await bookTool.invoke({ slot: "08:00" }, { callbacks: [handler] });
    now += 30_000;
    await bookTool.invoke({ slot: "08:00" }, { callbacks: [handler] });
    expect(log.entries.map((e) => e.outcome)).toEqual(["unguarded", "unguarded", "duplicate"]);
    expect(duplicates).toHaveLength(1);
  });

  it("handleCustomEvent(): withIdempotency runs are the engine's to log, and their replays are not executions", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const { log, duplicates, handler } = observer();
    const guardedTool = withIdempotency(bookTool, { idempotency: { store: new MemoryStore(), audit: log }, policy: { identity: ["slot"] }, sessionId: "s-w" });
    await guardedTool.invoke({ slot: "07:00" }, { callbacks: [handler] });
    await guardedTool.invoke({ slot: "07:00" }, { callbacks: [handler] });
    expect(effects).toHaveLength(1);
    expect(log.entries.map((e) => e.outcome)).toEqual(["executed", "replayed"]);
    expect(duplicates).toEqual([]);
  });

  it("handleToolError(): a withIdempotency call whose key cannot be derived is the engine's to log: one failed entry", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const { log, handler } = observer();
    // warnOnly: the policy names a field the schema lacks (so no call can be keyed) on purpose.
    const guardedTool = withIdempotency(bookTool, { idempotency: { store: new MemoryStore(), audit: log, onWarning: () => {} }, policy: { identity: ["user_id"] }, sessionId: "s-k", warnOnly: ["schema-path"] });
    await expect(guardedTool.invoke({ slot: "07:00" }, { callbacks: [handler] })).rejects.toThrow(/user_id/);
    expect(effects).toEqual([]);
    expect(log.entries.map((e) => e.outcome)).toEqual(["failed"]);
  });

  it("handleToolStart(): a class-based tool is logged under the name the model called it by", async () => {
    let runs = 0;
    class Lookup extends StructuredTool {
      name = "lookup_order";
      description = "Look an order up";
      schema = z.object({ order_id: z.string() });
      async _call() {
        return `found #${++runs}`;
      }
    }
    const { log, handler } = observer();
    const calls = [{ name: "lookup_order", args: { order_id: "o-1" }, id: "c1" }];
    const agent = createAgent({ model: scriptedModel(calls), tools: [new Lookup()] });
    await agent.invoke({ messages: [human("find o-1")] }, { ...thread("t-class"), callbacks: [handler] });
    expect(log.entries).toMatchObject([{ action_type: "lookup_order", tool_call_id: "c1", outcome: "unguarded" }]);
  });
});
