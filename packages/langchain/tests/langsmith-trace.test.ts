/**
 * What a LangSmith trace shows of calls guarded by `idempotencyMiddleware` and `withIdempotency`,
 * captured offline with a `BaseTracer` that keeps the run trees (LangChainTracer's transport is
 * covered in the langgraph package): the executed call's tool run carries the key and outcome,
 * and a replay is a run of its own tagged `idempotency:replayed`.
 */
import { createIdempotency, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import { IdempotentToolNode, REPLAY_TAG } from "@agent-idempotency/langgraph";
import { ToolMessage } from "@langchain/core/messages";
import { Command } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { IdempotencyCallbackHandler, idempotencyMiddleware, withIdempotency } from "@agent-idempotency/langchain";
import { tool } from "@langchain/core/tools";
import type { Run } from "@langchain/core/tracers/base";
import { createAgent } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { book, bookingTool, human, scriptedModel, thread } from "./helpers.js";
import { RunCollector } from "../../../test/support/run-collector.js";

const summary = (r: Run) => [r.name, r.extra?.metadata?.idempotency_outcome, r.tags?.includes(REPLAY_TAG) ?? false];

describe("LangSmith trace of idempotencyMiddleware", () => {
  it("wrapToolCall(): the model repeats a call: one executed tool run with the key, one replay run tagged idempotency:replayed; the handler counts no duplicate", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const log = new MemoryAuditLog();
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: { book_calendar: { identity: ["slot"] } }, audit: log });
    const agent = createAgent({ model: scriptedModel([book("10:00", "c1")], [book("10:00", "c2")]), tools: [bookTool], middleware: [idempotencyMiddleware({ idempotency })] });
    const tracer = new RunCollector();
    const duplicates: unknown[] = [];
    const handler = new IdempotencyCallbackHandler({ audit: log, idempotency, onDuplicate: (d) => void duplicates.push(d) });
    await agent.invoke({ messages: [human("book 10:00")] }, { ...thread("ls-mw"), callbacks: [tracer, handler] });

    expect(effects).toHaveLength(1);
    const runs = tracer.tools();
    expect(runs.map(summary)).toEqual([
      ["book_calendar", "executed", false],
      ["book_calendar", "replayed", true],
    ]);
    expect(runs[1]!.extra!.metadata.idempotency_key).toBe(effects[0]!.key);
    expect(runs[1]!.outputs?.output).toMatchObject({ tool_call_id: "c2" });
    // The replay's run is not mistaken for a second execution, nor logged twice.
    expect(duplicates).toEqual([]);
    expect(log.entries.map((e) => `${e.tool_call_id}:${e.outcome}`)).toEqual(["c1:executed", "c2:replayed"]);
  });
});

describe("IdempotencyCallbackHandler and the replay's run", () => {
  it("handleToolStart(): a replayed Command under IdempotentToolNode is not counted as a second execution", async () => {
    const effects: string[] = [];
    const handoff = tool(
      async ({ to }, config) => {
        effects.push(to);
        return new Command({ update: { messages: [new ToolMessage({ content: `handed to ${to}`, tool_call_id: config.toolCall!.id! })] } });
      },
      { name: "hand_off", description: "Hand off", schema: z.object({ to: z.string() }) },
    );
    const log = new MemoryAuditLog();
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: { hand_off: { identity: ["to"] } }, audit: log });
    const call = (id: string) => ({ name: "hand_off", args: { to: "billing" }, id });
    const graph = createReactAgent({ llm: scriptedModel([call("c1")], [call("c2")]), tools: new IdempotentToolNode([handoff], { idempotency }) });
    const duplicates: unknown[] = [];
    const handler = new IdempotencyCallbackHandler({ audit: log, idempotency, onDuplicate: (d) => void duplicates.push(d) });
    const tracer = new RunCollector();
    await graph.invoke({ messages: [human("hand off")] }, { ...thread("ls-cmd"), callbacks: [handler, tracer] });
    expect(effects).toEqual(["billing"]);
    expect(tracer.tools().map(summary)).toEqual([
      ["hand_off", "executed", false],
      ["hand_off", "replayed", true],
    ]);
    expect(duplicates).toEqual([]);
  });
});

describe("LangSmith trace of withIdempotency", () => {
  it("call(): the tool run carries the key; a replay adds a child run tagged idempotency:replayed", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const guarded = withIdempotency(bookTool, { idempotency: { store: new MemoryStore() }, policy: { identity: ["slot"] }, sessionId: "s-1" });
    const tracer = new RunCollector();
    await guarded.invoke({ slot: "10:00" }, { callbacks: [tracer] });
    await guarded.invoke({ slot: "10:00" }, { callbacks: [tracer] });
    expect(effects).toHaveLength(1);

    const [first, second] = tracer.roots as [Run, Run];
    expect(first.extra!.metadata.idempotency_key).toBe(effects[0]!.key);
    expect(first.child_runs).toEqual([]);
    expect(second.extra!.metadata.idempotency_key).toBe(effects[0]!.key);
    expect(second.child_runs.map(summary)).toEqual([["book_calendar", "replayed", true]]);
    expect(second.child_runs[0]!.extra!.metadata).toMatchObject({ idempotency_replayed: true, idempotency_attempt: 1 });
  });

  it("call(): a recorded failure rethrown adds an errored child run tagged idempotency:replayed", async () => {
    let charges = 0;
    const charge = tool(
      async () => {
        charges++;
        throw new Error("card declined");
      },
      { name: "charge_card", description: "Charge", schema: z.object({ order_id: z.string() }) },
    );
    const guarded = withIdempotency(charge, { idempotency: { store: new MemoryStore() }, policy: { identity: ["order_id"], cacheErrors: true }, sessionId: "s-1" });
    const tracer = new RunCollector();
    await expect(guarded.invoke({ order_id: "o-1" }, { callbacks: [tracer] })).rejects.toThrow("card declined");
    await expect(guarded.invoke({ order_id: "o-1" }, { callbacks: [tracer] })).rejects.toThrow("card declined");
    expect(charges).toBe(1);
    const replay = tracer.roots[1]!.child_runs[0]!;
    expect(summary(replay)).toEqual(["charge_card", "failed", true]);
    expect(replay.error).toMatch(/^card declined/);
  });
});
