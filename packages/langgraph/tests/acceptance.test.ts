/**
 * The acceptance cases of the LangGraph issue, each on a real graph with a counter of real side
 * effects, and each beside the stock ToolNode where stock behaviour is the point.
 */
import { MemoryStore } from "@agent-idempotency/core";
import { getIdempotencyKey, idempotencyHeaders, IdempotentToolNode } from "@agent-idempotency/langgraph";
import { AIMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { Command, interrupt, MemorySaver } from "@langchain/langgraph";
import { ToolNode } from "@langchain/langgraph/prebuilt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { agentGraph, human, retryAtOnce, scriptedModel, startUpstream, thread, toolMessages, until } from "./helpers.js";

type Kind = "stock" | "idempotent";
const policies = { book_calendar: { identity: ["slot"] }, charge_card: {} };

function toolsNode(kind: Kind, tools: ConstructorParameters<typeof ToolNode>[0], options: { handleToolErrors?: boolean } = {}) {
  // Only the policies of this node's tools: a policy for a tool the node lacks fails at construction.
  const own = Object.fromEntries(Object.entries(policies).filter(([name]) => tools.some((t) => t.name === name)));
  return kind === "stock" ? new ToolNode(tools, options) : new IdempotentToolNode(tools, { ...options, idempotency: { store: new MemoryStore(), tools: own } });
}

/** book_calendar: one real effect per run, recorded in `bookings`. */
function bookingTool(bookings: string[]) {
  return tool(async ({ slot }) => (bookings.push(slot), `booked ${slot}`), {
    name: "book_calendar",
    description: "Book a calendar slot",
    schema: z.object({ slot: z.string() }),
  });
}

describe.each<Kind>(["stock", "idempotent"])("acceptance (%s)", (kind) => {
  const once = (stock: number, ours: number) => (kind === "stock" ? stock : ours);

  it("1. retryPolicy re-runs the node after a parallel sibling failed: the booking happens once", async () => {
    const bookings: string[] = [];
    let lookups = 0;
    const flaky = tool(
      async () => {
        // Fail only after the booking happened, so the retry meets a completed booking.
        await until(() => bookings.length > 0, "the booking");
        if (++lookups === 1) throw new Error("availability service blipped");
        return "free";
      },
      { name: "check_availability", description: "Check a slot", schema: z.object({ slot: z.string() }) },
    );
    const node = toolsNode(kind, [bookingTool(bookings), flaky], { handleToolErrors: false });
    const model = scriptedModel([
      { name: "book_calendar", args: { slot: "10:00" }, id: "c1" },
      { name: "check_availability", args: { slot: "10:00" }, id: "c2" },
    ]);
    const out = await agentGraph(model, node, { retryPolicy: retryAtOnce }).invoke({ messages: [human("book 10:00", "h1")] }, thread(`a1-${kind}`));
    expect(lookups).toBe(2);
    expect(bookings).toHaveLength(once(2, 1));
    expect(toolMessages(out.messages).map((m) => m.id)).toEqual(["c1", "c2"]);
  });

  it("2. a tool that charged and then threw is retried with the same key: one upstream effect", async () => {
    const upstream = await startUpstream();
    try {
      const keys: (string | undefined)[] = [];
      const charge = tool(
        async ({ amount }, config) => {
          keys.push(getIdempotencyKey(config));
          const res = await fetch(upstream.url, { method: "POST", headers: idempotencyHeaders(config), body: JSON.stringify({ amount }) });
          const { id } = (await res.json()) as { id: string };
          if (keys.length === 1) throw new Error("504 Gateway Timeout (the charge went through)");
          return `charged ${amount}: ${id}`;
        },
        { name: "charge_card", description: "Charge", schema: z.object({ amount: z.number() }) },
      );
      const model = scriptedModel([{ name: "charge_card", args: { amount: 42 }, id: "c1" }]);
      const node = toolsNode(kind, [charge], { handleToolErrors: false });
      await agentGraph(model, node, { retryPolicy: retryAtOnce }).invoke({ messages: [human("pay", "h1")] }, thread(`a2-${kind}`));
      expect(keys).toHaveLength(2);
      expect(upstream.effects).toBe(once(2, 1));
      if (kind === "idempotent") expect(keys[0]).toMatch(/^[0-9a-f]{32}$/), expect(keys[1]).toBe(keys[0]);
    } finally {
      await upstream.close();
    }
  });

  it("3. a run that died after the tool ran, resumed from its checkpoint with invoke(null): one booking", async () => {
    const bookings: string[] = [];
    let crashes = 0;
    // Stands in for the process dying between the tool's effect and the node's checkpoint.
    const crash = tool(
      async () => {
        await until(() => bookings.length > 0, "the booking");
        if (crashes++ === 0) throw new Error("process died");
        return "ok";
      },
      { name: "notify", description: "Notify", schema: z.object({}) },
    );
    const node = toolsNode(kind, [bookingTool(bookings), crash], { handleToolErrors: false });
    const model = scriptedModel([
      { name: "book_calendar", args: { slot: "10:00" }, id: "c1" },
      { name: "notify", args: {}, id: "c2" },
    ]);
    const graph = agentGraph(model, node, { checkpointer: new MemorySaver() });
    const config = thread(`a3-${kind}`);
    await expect(graph.invoke({ messages: [human("book 10:00", "h1")] }, config)).rejects.toThrow("process died");
    const out = await graph.invoke(null, config);
    expect(bookings).toHaveLength(once(2, 1));
    expect(out.messages.at(-1)?.content).toBe("done");
  });

  it("4. interrupt() in one tool, resumed with Command({ resume }): the sibling's booking happens once", async () => {
    const bookings: string[] = [];
    const charges: number[] = [];
    const charge = tool(
      async ({ amount }) => {
        const answer = interrupt({ question: `charge ${amount}?` });
        if (answer === "yes") charges.push(amount);
        return answer === "yes" ? "charged" : "cancelled";
      },
      { name: "charge_card", description: "Charge after approval", schema: z.object({ amount: z.number() }) },
    );
    const node = toolsNode(kind, [bookingTool(bookings), charge]);
    const model = scriptedModel([
      { name: "book_calendar", args: { slot: "10:00" }, id: "c1" },
      { name: "charge_card", args: { amount: 42 }, id: "c2" },
    ]);
    const graph = agentGraph(model, node, { checkpointer: new MemorySaver() });
    const config = thread(`a4-${kind}`);
    const first = await graph.invoke({ messages: [human("book and pay", "h1")] }, config);
    expect((first as { __interrupt__?: unknown[] }).__interrupt__).toHaveLength(1);
    expect(bookings).toHaveLength(1);
    const out = await graph.invoke(new Command({ resume: "yes" }), config);
    expect(bookings).toHaveLength(once(2, 1));
    expect(charges).toEqual([42]);
    expect(toolMessages(out.messages).map((m) => m.content)).toEqual(["booked 10:00", "charged"]);
  });

  it("5. the model repeats the call with a new tool_call_id: one booking, the second answer is a replay", async () => {
    const bookings: string[] = [];
    const model = scriptedModel([{ name: "book_calendar", args: { slot: "10:00" }, id: "c1" }], [{ name: "book_calendar", args: { slot: "10:00" }, id: "c2" }]);
    const out = await agentGraph(model, toolsNode(kind, [bookingTool(bookings)])).invoke({ messages: [human("book 10:00", "h1")] }, thread(`a5-${kind}`));
    expect(bookings).toHaveLength(once(2, 1));
    const answers = toolMessages(out.messages);
    expect(answers.map((m) => m.id)).toEqual(["c1", "c2"]);
    if (kind === "idempotent") {
      expect(answers.map((m) => m.replayed)).toEqual([false, true]);
      expect(answers[1]!.key).toBe(answers[0]!.key);
      expect(answers[1]!.content).toBe("booked 10:00");
    }
  });

  it("6. two threads with the same arguments, and a new human turn asking again: an effect each", async () => {
    const bookings: string[] = [];
    const node = toolsNode(kind, [bookingTool(bookings)]);
    const saver = new MemorySaver();
    const call = (id: string) => [{ name: "book_calendar", args: { slot: "10:00" }, id }];
    // One scripted model per thread (fakeModel numbers its messages' ids per instance).
    const a = fakeModel().respondWithTools(call("c1")).respond(new AIMessage("done")).respondWithTools(call("c3")).respond(new AIMessage("done"));
    const graphA = agentGraph(a, node, { checkpointer: saver });
    const graphB = agentGraph(scriptedModel(call("c2")), node, { checkpointer: saver });
    await graphA.invoke({ messages: [human("book 10:00", "h1")] }, thread(`a6-${kind}-A`));
    await graphB.invoke({ messages: [human("book 10:00", "h2")] }, thread(`a6-${kind}-B`));
    expect(bookings).toHaveLength(2);
    // Thread A again: the user asks a second time, a new turn, so the intentional repeat runs.
    const out = await graphA.invoke({ messages: [human("book 10:00 again", "h3")] }, thread(`a6-${kind}-A`));
    expect(bookings).toHaveLength(3);
    const answers = toolMessages(out.messages);
    expect(answers.map((m) => m.id)).toEqual(["c1", "c3"]);
    if (kind === "idempotent") {
      expect(answers.map((m) => m.replayed)).toEqual([false, false]);
      expect(answers[1]!.key).not.toBe(answers[0]!.key);
    }
  });
});
