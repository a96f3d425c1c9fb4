// langchain's createAgent, offline (a scripted model): the model books a slot, then emits the very
// same booking again with a new tool_call_id, as real models do after a timeout or a long context.
//
// 1. A stock agent books twice. IdempotencyCallbackHandler, attached observe-only, logs both calls
//    and reports the duplicate before anything is changed.
// 2. The same agent with idempotencyMiddleware books once: the second call replays the recorded
//    answer, and the calendar API received the idempotency key (getIdempotencyKey(config)).
// 3. The audit report over both logs shows the flag for (1) and none for (2).
//
// Run it: `node main.mjs` after building the packages (./dev.sh demo builds everything).
import { auditReport, createIdempotency, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import { IdempotencyCallbackHandler, idempotencyMiddleware } from "@agent-idempotency/langchain";
import { getIdempotencyKey } from "@agent-idempotency/langgraph";
import { AIMessage, createAgent, fakeModel, HumanMessage, tool } from "langchain";
import { z } from "zod";

/** A calendar API that honours Idempotency-Key, as Stripe does; `bookings` are real effects. */
function calendarApi() {
  const bookings = [];
  return {
    bookings,
    book(slot, idempotencyKey) {
      const done = idempotencyKey && bookings.find((b) => b.key === idempotencyKey);
      if (done) return done;
      const booking = { booking_id: `bk_${bookings.length + 1}`, slot, key: idempotencyKey };
      bookings.push(booking);
      return booking;
    },
  };
}

function bookTool(calendar) {
  return tool(async ({ slot }, config) => JSON.stringify(calendar.book(slot, getIdempotencyKey(config))), {
    name: "book_calendar",
    description: "Book a calendar slot",
    schema: z.object({ slot: z.string().describe("ISO start time") }),
  });
}

/** The model books 10:00, then repeats the booking with a new tool_call_id, then answers. */
function repeatingModel() {
  const call = (id) => [{ name: "book_calendar", args: { slot: "2026-12-01T10:00:00Z" }, id }];
  return fakeModel().respondWithTools(call("call_1")).respondWithTools(call("call_2")).respond(new AIMessage("Booked for 10:00."));
}

// responseId receives the tool's own result (its JSON text parsed), under the middleware and the
// observing handler alike.
const policies = {
  book_calendar: { identity: ["slot"], responseId: (r) => r.booking_id },
};

/** Runs the demo and returns what happened (the tests check it). `print` receives each line. */
export async function runDemo(print = () => {}) {
  const question = () => ({ messages: [new HumanMessage("Book me 10:00 on Dec 1st")] });

  // 1. Stock agent, observed.
  const stockCalendar = calendarApi();
  const stockLog = new MemoryAuditLog();
  const duplicates = [];
  const stockTools = [bookTool(stockCalendar)];
  // tools: the handler parses and normalizes each call with the tool's schema, as the engine will.
  const observer = new IdempotencyCallbackHandler({ audit: stockLog, policies, tools: stockTools, onDuplicate: (d) => duplicates.push(d) });
  const stock = createAgent({ model: repeatingModel(), tools: stockTools });
  await stock.invoke(question(), { configurable: { thread_id: "demo-stock" }, callbacks: [observer] });
  print(`stock agent:   ${stockCalendar.bookings.length} bookings (${stockCalendar.bookings.map((b) => b.booking_id).join(", ")})`);
  for (const d of duplicates) {
    print(`  handler: ${d.action_type} ran again within ${d.windowMs / 1000} s (${d.first.tool_call_id} then ${d.again.tool_call_id})`);
  }

  // 2. Guarded agent: the middleware, with the handler still attached. It needs no engine: the
  //    middleware marks the tool runs it passes through the engine, and the handler lets the
  //    engine's entries stand for them.
  const calendar = calendarApi();
  const log = new MemoryAuditLog();
  const idempotency = createIdempotency({ store: new MemoryStore(), tools: policies, audit: log });
  const agent = createAgent({ model: repeatingModel(), tools: [bookTool(calendar)], middleware: [idempotencyMiddleware({ idempotency })] });
  const handler = new IdempotencyCallbackHandler({ audit: log });
  const out = await agent.invoke(question(), { configurable: { thread_id: "demo-guarded" }, callbacks: [handler] });
  const answers = out.messages.filter((m) => m.getType() === "tool");
  print(`guarded agent: ${calendar.bookings.length} booking (${calendar.bookings[0]?.booking_id}, key ${calendar.bookings[0]?.key?.slice(0, 12)}…)`);
  for (const m of answers) {
    const meta = m.response_metadata?.idempotency;
    print(`  ${m.tool_call_id}: ${meta?.replayed ? "replayed" : "executed"} ${m.content}`);
  }

  // 3. The weekly audit, here over the two runs.
  const stockReport = await auditReport(stockLog.entries);
  const guardedReport = await auditReport(log.entries);
  print(`audit: stock log ${stockLog.entries.map((e) => e.outcome).join(", ")} -> flags: ${stockReport.flags.map((f) => f.kind).join(", ") || "none"}`);
  print(`audit: guarded log ${log.entries.map((e) => e.outcome).join(", ")} -> flags: ${guardedReport.flags.map((f) => f.kind).join(", ") || "none"}`);

  return {
    stock: { bookings: stockCalendar.bookings.length, duplicates: duplicates.length, outcomes: stockLog.entries.map((e) => e.outcome), flags: stockReport.flags.map((f) => f.kind) },
    guarded: {
      bookings: calendar.bookings.length,
      keyForwarded: calendar.bookings[0]?.key,
      answers: answers.map((m) => ({ id: m.tool_call_id, replayed: m.response_metadata?.idempotency?.replayed === true })),
      outcomes: log.entries.map((e) => e.outcome),
      flags: guardedReport.flags.map((f) => f.kind),
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await runDemo(console.log);
