// The agent: a scripted model (no API key) books a slot and charges a card through an
// IdempotentToolNode. It calls both, gets a 504 from the payments API, then calls both again: the
// booking is a repeat (replayed), the charge a retry (run again, same key).
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import { getIdempotencyKey, IdempotentToolNode } from "@agent-idempotency/langgraph";
import { idempotencyTelemetry } from "@agent-idempotency/opentelemetry";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { toolsCondition } from "@langchain/langgraph/prebuilt";
import { trace } from "@opentelemetry/api";
import { z } from "zod";

export function buildAgent() {
  const effects = { bookings: 0, charges: 0 };
  const upstream = trace.getTracer("calendar-client");
  const bookCalendar = tool(
    async ({ slot }, config) =>
      // The tool's own span (an HTTP client's, in a real app) nests under the idempotency span.
      upstream.startActiveSpan("POST /calendar/events", async (span) => {
        effects.bookings++;
        span.setAttribute("http.request.header.idempotency-key", [getIdempotencyKey(config) ?? ""]); // forwarded upstream
        span.end();
        return `booked ${slot}`;
      }),
    { name: "book_calendar", description: "Book a calendar slot", schema: z.object({ slot: z.string() }) },
  );
  const chargeCard = tool(
    async ({ order_id }) => {
      effects.charges++;
      if (effects.charges === 1) throw new Error("payments API answered 504");
      return `charged ${order_id}`;
    },
    { name: "charge_card", description: "Charge the card", schema: z.object({ order_id: z.string() }) },
  );

  const idempotency = createIdempotency({
    store: new MemoryStore(),
    tools: { book_calendar: { identity: ["slot"] }, charge_card: { identity: ["order_id"] } },
    instrumentation: idempotencyTelemetry(), // spans and counters, on the global OpenTelemetry providers
  });
  const calls = (n) => [
    { id: `call_${n}a`, name: "book_calendar", args: { slot: "2026-12-01T10:00:00Z" } },
    { id: `call_${n}b`, name: "charge_card", args: { order_id: "o-42" } },
  ];
  const model = fakeModel().respondWithTools(calls(1)).respondWithTools(calls(2)).respond(new AIMessage("booked and charged"));
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode("tools", new IdempotentToolNode([bookCalendar, chargeCard], { idempotency }))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", toolsCondition, ["tools", END])
    .addEdge("tools", "agent")
    .compile();
  return { graph, effects, ask: new HumanMessage({ id: "h-1", content: "Book 10:00 and charge order o-42" }) };
}
