/**
 * What IdempotentToolNode logs for the audit: responseId gets the tool's own result (never the
 * recorded ToolMessage form), entries carry the turn, and live detection can stop the graph with
 * interrupt() for a person to decide.
 */
import { MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import type { IdempotencyOptions } from "@agent-idempotency/core";
import { IdempotentToolNode, interruptOnRepeat } from "@agent-idempotency/langgraph";
import { toolResultOf, turnMarker } from "@agent-idempotency/langgraph/internal";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { Command, MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentGraph, human, scriptedModel, thread, toolMessages } from "./helpers.js";

const slot = z.object({ slot: z.string() });

describe("IdempotentToolNode: response ids", () => {
  it("runTool(): responseId receives the tool's own result (its parsed content), the default finds booking_id, a replay keeps the recorded id", async () => {
    const seen: unknown[] = [];
    let n = 0;
    const book = tool(async ({ slot }) => ({ booking_id: `b_${++n}`, slot, status: "confirmed" }), { name: "book", description: "b", schema: slot });
    const hold = tool(async ({ slot }) => ({ hold_id: `h_${++n}`, slot }), { name: "hold", description: "h", schema: slot });
    const audit = new MemoryAuditLog();
    const idempotency: IdempotencyOptions = { store: new MemoryStore(), audit, tools: { book: { identity: ["slot"], responseId: (r) => (seen.push(r), r.booking_id) }, hold: {} } };
    const model = scriptedModel([{ name: "book", args: { slot: "9" }, id: "c1" }, { name: "hold", args: { slot: "9" }, id: "c2" }], [{ name: "book", args: { slot: "9" }, id: "c3" }]);
    await agentGraph(model, new IdempotentToolNode([book, hold], { idempotency })).invoke({ messages: [human("book 9", "h1")] }, thread("rid-1"));
    expect(seen).toEqual([{ booking_id: "b_1", slot: "9", status: "confirmed" }]);
    expect(audit.entries.map((e) => [e.action_type, e.outcome, e.response_id]).sort()).toEqual([
      ["book", "executed", "b_1"],
      ["book", "replayed", "b_1"],
      ["hold", "executed", "h_2"],
    ]);
  });

  it("runTool(): a content_and_artifact tool's responseId receives the artifact; a Command's, its update", async () => {
    const seen: unknown[] = [];
    const search = tool(async () => ["found it", { charge_id: "ch_7" }], { name: "charge", description: "c", schema: slot, responseFormat: "content_and_artifact" });
    const move = tool(
      async ({ slot }, config) => new Command({ update: { messages: [new ToolMessage({ content: "moved", tool_call_id: config.toolCall!.id! })], moved_to: slot } }),
      { name: "move", description: "m", schema: slot },
    );
    const audit = new MemoryAuditLog();
    const responseId = (r: unknown) => (seen.push(r), (r as { charge_id?: string; moved_to?: string }).charge_id ?? (r as { moved_to?: string }).moved_to);
    const idempotency: IdempotencyOptions = { store: new MemoryStore(), audit, tools: { charge: { responseId }, move: { responseId } } };
    const model = scriptedModel([{ name: "charge", args: { slot: "9" }, id: "c1" }], [{ name: "move", args: { slot: "10" }, id: "c2" }]);
    await agentGraph(model, new IdempotentToolNode([search, move], { idempotency })).invoke({ messages: [human("x", "h1")] }, thread("rid-2"));
    expect(seen[0]).toEqual({ charge_id: "ch_7" });
    expect(seen[1]).toMatchObject({ moved_to: "10", messages: [expect.any(ToolMessage)] });
    expect(audit.entries.map((e) => e.response_id)).toEqual(["ch_7", "10"]);
  });

  it("toolResultOf(): JSON text of an object is parsed, other text is not", () => {
    expect(toolResultOf(new ToolMessage({ content: '{"id":"x"}', tool_call_id: "c" }))).toEqual({ id: "x" });
    expect(toolResultOf(new ToolMessage({ content: [{ type: "text", text: '[{"id":"x"}]' }], tool_call_id: "c" }))).toEqual([{ id: "x" }]);
    expect(toolResultOf(new ToolMessage({ content: "42", tool_call_id: "c" }))).toBe("42");
    expect(toolResultOf(new ToolMessage({ content: "{not json", tool_call_id: "c" }))).toBe("{not json");
    expect(toolResultOf({ id: 1 })).toEqual({ id: 1 });
  });
});

describe("IdempotentToolNode: the turn in the log", () => {
  it("runTool(): entries carry the turn scope, key_sent and the turn marker; a new turn has a new marker, the same turn under a new id the same one", async () => {
    const send = tool(async () => ({ message_id: "m" }), { name: "send", description: "s", schema: slot });
    const audit = new MemoryAuditLog();
    const node = new IdempotentToolNode([send], { idempotency: { store: new MemoryStore(), audit, tools: { send: {} } } });
    const call = (id: string) => new AIMessage({ content: "", tool_calls: [{ id, name: "send", args: { slot: "9" } }] });
    const first = human("send it", "h1");
    await node.invoke({ messages: [first, call("c1")] }, thread("turns"));
    await node.invoke({ messages: [human("send it", "h1-retry"), call("c2")] }, thread("turns"));
    await node.invoke({ messages: [first, call("c1"), new ToolMessage({ content: "ok", tool_call_id: "c1" }), human("again", "h2"), call("c3")] }, thread("turns"));
    const rows = audit.entries.map((e) => [e.outcome, e.scope, e.key_sent, e.turn]);
    expect(rows).toEqual([
      ["executed", 'turn:["turns","h1"]', true, turnMarker([first])],
      ["executed", 'turn:["turns","h1-retry"]', true, turnMarker([first])],
      ["executed", 'turn:["turns","h2"]', true, turnMarker([first, human("again", "h2")])],
    ]);
    expect(rows[0]![3]).toMatch(/^1:[0-9a-f]{16}$/);
    expect(rows[2]![3]).toMatch(/^2:/);
  });
});

describe("IdempotentToolNode: live detection with interrupt()", () => {
  function twoTurns() {
    const sent: string[] = [];
    const send = tool(async ({ slot }) => (sent.push(slot), { message_id: `m_${sent.length}` }), { name: "send_email", description: "s", schema: slot });
    const model = fakeModel()
      .respondWithTools([{ name: "send_email", args: { slot: "9" }, id: "c1" }])
      .respond(new AIMessage("sent"))
      .respondWithTools([{ name: "send_email", args: { slot: "9" }, id: "c2" }])
      .respond(new AIMessage("sent again"));
    const audit = new MemoryAuditLog();
    const node = new IdempotentToolNode([send], { idempotency: { store: new MemoryStore(), audit, tools: { send_email: {} }, liveDetection: { onRepeat: interruptOnRepeat() } } });
    return { sent, audit, graph: agentGraph(model, node, { checkpointer: new MemorySaver() }) };
  }

  for (const [answer, sends] of [["proceed", 2], ["refuse", 1]] as const) {
    it(`runTool(): the same call in a new turn stops the graph with interrupt(); resumed with "${answer}", it ${answer === "proceed" ? "runs" : "does not run"}`, async () => {
      const { sent, audit, graph } = twoTurns();
      const config = thread(`interrupt-${answer}`);
      await graph.invoke({ messages: [new HumanMessage({ content: "send 9", id: "h1" })] }, config);
      const stopped = (await graph.invoke({ messages: [new HumanMessage({ content: "send it again", id: "h2" })] }, config)) as { __interrupt__?: { value: Record<string, unknown> }[] };
      expect(sent).toEqual(["9"]);
      expect(stopped.__interrupt__).toHaveLength(1);
      expect(stopped.__interrupt__![0]!.value).toMatchObject({ type: "idempotency_repeat", action: "send_email", args: { slot: "9" }, kind: "new_scope", previous: { scope: 'turn:["interrupt-' + answer + '","h1"]' } });
      const out = await graph.invoke(new Command({ resume: answer }), config);
      expect(sent).toHaveLength(sends);
      const last = toolMessages(out.messages).at(-1)!;
      expect(last.id).toBe("c2");
      expect(last.status).toBe(answer === "proceed" ? "success" : "error");
      expect(audit.entries.map((e) => [e.outcome, e.repeat_decision])).toEqual([
        ["executed", undefined],
        ["failed", "deferred"],
        [answer === "proceed" ? "executed" : "failed", answer],
      ]);
    });
  }
});
