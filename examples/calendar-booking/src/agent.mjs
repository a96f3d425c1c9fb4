// The agent of the demo: a scripted model (no network, no API key) and two side-effecting tools,
// in the usual LangGraph loop agent -> tools -> agent. Only the tools node differs between runs.
import { randomUUID } from "node:crypto";
import { createIdempotency, MemoryAuditLog } from "@agent-idempotency/core";
import { getIdempotencyKey, idempotencyHeaders, IdempotentToolNode } from "@agent-idempotency/langgraph";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { END, MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";
import { z } from "zod";

export const REQUEST = { slot: "2026-12-01T10:00:00Z", attendee: "ada@example.com", amount_usd: 120 };

/** The two tools. The same code runs under both nodes; only IdempotentToolNode hands them a key. */
export function makeTools({ calendarUrl, paymentsUrl }) {
  const book = tool(
    async ({ slot, attendee }, config) => {
      const key = getIdempotencyKey(config); // used as the event id, so the calendar dedupes
      const res = await fetch(`${calendarUrl}/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ slot, attendee, ...(key ? { id: key } : {}) }),
      });
      if (res.status === 409) return `already booked: ${slot} for ${attendee}`;
      if (!res.ok) throw new Error(`calendar answered ${res.status}`);
      return `booked ${slot} for ${attendee}`;
    },
    { name: "book_calendar", description: "Book a calendar slot", schema: z.object({ slot: z.string(), attendee: z.string() }) },
  );
  const charge = tool(
    async ({ amount_usd, customer }, config) => {
      const res = await fetch(`${paymentsUrl}/charges`, {
        method: "POST",
        headers: { "content-type": "application/json", ...idempotencyHeaders(config) },
        body: JSON.stringify({ amount_usd, customer }),
      });
      if (!res.ok) throw new Error(`payments answered ${res.status}`);
      const { id } = await res.json();
      return `charged ${amount_usd} USD to ${customer} (${id})`;
    },
    { name: "charge_card", description: "Charge the customer's card", schema: z.object({ amount_usd: z.number(), customer: z.string() }) },
  );
  return [book, charge];
}

/** Books and charges; when a tool reports an error, retries the whole plan, as models do. */
function scriptedModel() {
  const plan = (n) =>
    new AIMessage({
      id: `ai-${n}`,
      content: "",
      tool_calls: [
        { id: `call_book_${n}`, name: "book_calendar", args: { slot: REQUEST.slot, attendee: REQUEST.attendee } },
        { id: `call_charge_${n}`, name: "charge_card", args: { amount_usd: REQUEST.amount_usd, customer: REQUEST.attendee } },
      ],
    });
  const failed = (messages) => messages.slice(messages.findLastIndex((m) => m.getType() === "ai")).some((m) => m.status === "error");
  return fakeModel()
    .respond(plan(1))
    .respond((messages) => (failed(messages) ? plan(2) : new AIMessage({ id: "ai-2", content: "Booked and charged." })))
    .respond(new AIMessage({ id: "ai-3", content: "Booked and charged." }));
}

/** The policies: what makes a booking or a charge the same action. */
export const POLICIES = {
  book_calendar: { identity: ["slot", "attendee"] },
  charge_card: { identity: ["customer", "amount_usd"] },
};

/**
 * Runs the agent once with a stock ToolNode, or with an IdempotentToolNode on `store`, and
 * returns what happened. Closes the store.
 */
export async function runAgent({ kind, store, calendarUrl, paymentsUrl }) {
  const tools = makeTools({ calendarUrl, paymentsUrl });
  const audit = new MemoryAuditLog();
  let idempotency;
  if (kind === "idempotent") idempotency = createIdempotency({ store, audit, tools: POLICIES });
  const node = kind === "idempotent" ? new IdempotentToolNode(tools, { idempotency }) : new ToolNode(tools);
  const model = scriptedModel();
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode("tools", node)
    .addEdge(START, "agent")
    .addConditionalEdges("agent", toolsCondition, ["tools", END])
    .addEdge("tools", "agent")
    .compile({ checkpointer: new MemorySaver() });
  // A new conversation per run, so a persistent store never replays an earlier demo run.
  const config = { configurable: { thread_id: `demo-${randomUUID()}` } };
  try {
    const out = await graph.invoke({ messages: [new HumanMessage({ id: "h-1", content: "Book me at 10:00 on Dec 1 and charge my card $120." })] }, config);
    const answers = out.messages.filter((m) => m.getType() === "tool");
    const keys = [...new Set(audit.entries.map((e) => e.idempotency_key).filter(Boolean))];
    return {
      toolCalls: answers.length,
      replays: answers.filter((m) => m.response_metadata?.idempotency?.replayed).length,
      keys,
      answer: out.messages.at(-1).content,
    };
  } finally {
    await idempotency?.close();
  }
}
