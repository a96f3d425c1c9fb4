/**
 * The compatibility scenarios: agents as langchain.js users build them, each with fresh tools that
 * count their side effects and a scripted model. No scenario repeats a call with the same
 * arguments, so guarding every tool must change nothing either (no replay is due).
 */
import { dispatchCustomEvent } from "@langchain/core/callbacks/dispatch";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { Command, interrupt } from "@langchain/langgraph";
import type { AgentMiddleware } from "langchain";
import { createMiddleware, humanInTheLoopMiddleware, toolCallLimitMiddleware, toolErrorMiddleware, toolRetryMiddleware } from "langchain";
import { z } from "zod";
import type { Scenario, Setup } from "./harness.js";

type Call = { name: string; args: Record<string, unknown>; id: string };
const call = (name: string, args: Record<string, unknown>, id: string): Call => ({ name, args, id });

/** A model that emits each batch of tool calls in turn, then "done". */
function script(...batches: Call[][]) {
  const model = fakeModel();
  for (const batch of batches) model.respondWithTools(batch);
  return model.respond(new AIMessage("done"));
}

/** Fresh tools sharing one effects log and one list of the errors they throw. */
function parts() {
  const effects: unknown[] = [];
  const thrown: unknown[] = [];
  const fail = (message: string) => {
    const error = new Error(message);
    thrown.push(error);
    return error;
  };
  const attempts = new Map<string, number>();
  const idOf = (config: unknown) => (config as { toolCall?: { id?: string } }).toolCall?.id ?? "";
  const book = tool(async ({ slot }) => (effects.push(`book ${slot}`), `booked ${slot}`), { name: "book_calendar", description: "Book a slot", schema: z.object({ slot: z.string() }) });
  // "bad-*" orders always fail; "flaky-N" fails N times, then succeeds.
  const charge = tool(
    async ({ order_id }) => {
      effects.push(`charge ${order_id}`);
      const n = (attempts.get(order_id) ?? 0) + 1;
      attempts.set(order_id, n);
      if (order_id.startsWith("bad") || (order_id.startsWith("flaky-") && n <= Number(order_id.slice(6)))) throw fail(`card declined for ${order_id} (attempt ${n})`);
      return `charged ${order_id}`;
    },
    { name: "charge_card", description: "Charge the card", schema: z.object({ order_id: z.string() }) },
  );
  const note = tool(
    async ({ text }, config) => (effects.push(`note ${text}`), new Command({ update: { notes: [text], messages: [new ToolMessage({ content: `noted ${text}`, tool_call_id: idOf(config) })] } })),
    { name: "take_note", description: "Take a note", schema: z.object({ text: z.string() }) },
  );
  const decline = tool(async ({ order_id }, config) => (effects.push(`decline ${order_id}`), new ToolMessage({ content: `declined ${order_id}`, status: "error", tool_call_id: idOf(config) })), {
    name: "refund",
    description: "Refund an order",
    schema: z.object({ order_id: z.string() }),
  });
  const lookup = tool(async ({ q }) => (effects.push(`lookup ${q}`), `found ${q}`), { name: "lookup", description: "Look up", schema: z.object({ q: z.string() }), returnDirect: true });
  const confirm = tool(
    async ({ slot }) => {
      const answer = interrupt({ question: `book ${slot}?` }) as string;
      effects.push(`book ${slot} (${answer})`);
      return `booked ${slot}`;
    },
    { name: "book_calendar", description: "Book after confirmation", schema: z.object({ slot: z.string() }) },
  );
  const progress = tool(
    async ({ step }, config) => {
      (config as { writer?: (chunk: unknown) => void }).writer?.({ step, of: 2 });
      await dispatchCustomEvent("tool_progress", { step }, config);
      effects.push(`step ${step}`);
      return `did ${step}`;
    },
    { name: "run_step", description: "Run a step", schema: z.object({ step: z.number() }) },
  );
  return { effects, thrown, fail, book, charge, note, decline, lookup, confirm, progress };
}

const ask = (text: string) => ({ messages: [new HumanMessage(text)] });
type Parts = ReturnType<typeof parts>;
const setup = (p: Parts, rest: Omit<Setup, "effects" | "thrown" | "inputs"> & { inputs?: unknown[] }): Setup => ({ effects: p.effects, thrown: p.thrown, inputs: [ask("go")], ...rest });

/** Another middleware that throws an error of its own, before or after the rest of the chain. */
function gate(p: Parts, when: "before" | "after"): AgentMiddleware {
  return createMiddleware({
    name: "Gate",
    wrapToolCall: async (request, handler) => {
      if (when === "after") await handler(request);
      throw p.fail(`gate closed ${when} ${request.toolCall.name}`);
    },
  });
}

const retry = (onFailure?: "continue" | "error") => toolRetryMiddleware({ maxRetries: 2, initialDelayMs: 0, jitter: false, ...(onFailure ? { onFailure } : {}) });
const charge = (order: string, id: string) => call("charge_card", { order_id: order }, id);
const book = (slot: string, id: string) => call("book_calendar", { slot }, id);

export const scenarios: Scenario[] = [
  { name: "a tool answers", bare: true, build: () => ((p) => setup(p, { tools: [p.book], middleware: [], model: script([book("10:00", "c1")], [book("11:00", "c2")]) }))(parts()) },
  { name: "a tool throws, and the model tries other arguments", bare: true, answersToolError: true, build: () => ((p) => setup(p, { tools: [p.charge], middleware: [], model: script([charge("bad-1", "c1")], [charge("o-2", "c2")]) }))(parts()) },
  { name: "arguments the tool's schema rejects", bare: true, build: () => ((p) => setup(p, { tools: [p.charge], middleware: [], model: script([call("charge_card", { order: 42 }, "c1")]) }))(parts()) },
  { name: "a call of a tool that does not exist", bare: true, build: () => ((p) => setup(p, { tools: [p.charge], middleware: [], model: script([call("wire_money", { to: "x" }, "c1")]) }))(parts()) },
  { name: "two calls in one message", bare: true, parallel: true, build: () => ((p) => setup(p, { tools: [p.book, p.charge], middleware: [], model: script([book("10:00", "c1"), charge("o-1", "c2")]) }))(parts()) },
  {
    name: "a tool returns a Command that updates middleware state",
    bare: true,
    build: () =>
      ((p) => setup(p, { tools: [p.note], middleware: [createMiddleware({ name: "Notes", stateSchema: z.object({ notes: z.array(z.string()).default([]) }) })], model: script([call("take_note", { text: "hi" }, "c1")]) }))(parts()),
  },
  { name: "a tool returns an error ToolMessage", bare: true, build: () => ((p) => setup(p, { tools: [p.decline], middleware: [], model: script([call("refund", { order_id: "o-1" }, "c1")]) }))(parts()) },
  { name: "a returnDirect tool ends the run", bare: true, build: () => ((p) => setup(p, { tools: [p.lookup], middleware: [], model: script([call("lookup", { q: "x" }, "c1")]) }))(parts()) },
  { name: "a tool streams custom chunks and events", bare: true, build: () => ((p) => setup(p, { tools: [p.progress], middleware: [], model: script([call("run_step", { step: 1 }, "c1")], [call("run_step", { step: 2 }, "c2")]) }))(parts()) },
  {
    name: "a tool interrupts and is resumed",
    bare: true,
    build: () => ((p) => setup(p, { tools: [p.confirm], middleware: [], model: script([book("10:00", "c1")]), checkpointer: true, inputs: [ask("book"), new Command({ resume: "yes" })] }))(parts()),
  },
  {
    name: "afterModel jumps to the end with a call pending",
    bare: true,
    build: () =>
      ((p) => {
        const jumper = createMiddleware({ name: "Jumper", afterModel: { canJumpTo: ["end"], hook: (state) => (state.messages.some((m) => ToolMessage.isInstance(m)) ? { jumpTo: "end" as const } : undefined) } });
        return setup(p, { tools: [p.book], middleware: [jumper], model: script([book("10:00", "c1")], [book("11:00", "c2")]) });
      })(parts()),
  },
  {
    name: "human in the loop edits a call",
    bare: true,
    build: () =>
      ((p) => {
        const decision = { type: "edit", editedAction: { name: "book_calendar", args: { slot: "12:00" } } };
        return setup(p, { tools: [p.book], middleware: [humanInTheLoopMiddleware({ interruptOn: { book_calendar: true } })], model: script([book("10:00", "c1")]), checkpointer: true, inputs: [ask("book"), new Command({ resume: { decisions: [decision] } })] });
      })(parts()),
  },
  {
    name: "human in the loop rejects a call",
    bare: true,
    build: () =>
      ((p) => {
        const decision = { type: "reject", message: "not that one" };
        return setup(p, { tools: [p.book], middleware: [humanInTheLoopMiddleware({ interruptOn: { book_calendar: true } })], model: script([book("10:00", "c1")]), checkpointer: true, inputs: [ask("book"), new Command({ resume: { decisions: [decision] } })] });
      })(parts()),
  },
  { name: "the tool call limit blocks a call", bare: true, build: () => ((p) => setup(p, { tools: [p.book], middleware: [toolCallLimitMiddleware({ runLimit: 1 })], model: script([book("10:00", "c1")], [book("11:00", "c2")]) }))(parts()) },
  {
    name: "the tool call limit fails the run",
    bare: true,
    build: () => ((p) => setup(p, { tools: [p.book], middleware: [toolCallLimitMiddleware({ runLimit: 1, exitBehavior: "error" })], model: script([book("10:00", "c1")], [book("11:00", "c2")]) }))(parts()),
  },
  { name: "an agent without tools", bare: true, toolsNodeAdded: true, build: () => ((p) => setup(p, { tools: [], middleware: [], model: fakeModel().respond(new AIMessage("no tools needed")) }))(parts()) },
  { name: "toolRetryMiddleware retries a tool until it succeeds", build: () => ((p) => setup(p, { tools: [p.charge], middleware: [retry()], model: script([charge("flaky-2", "c1")]) }))(parts()) },
  { name: 'toolRetryMiddleware gives up and answers the model ("continue")', build: () => ((p) => setup(p, { tools: [p.charge], middleware: [retry("continue")], model: script([charge("bad-1", "c1")]) }))(parts()) },
  { name: 'toolRetryMiddleware gives up and fails the run ("error")', build: () => ((p) => setup(p, { tools: [p.charge], middleware: [retry("error")], model: script([charge("bad-1", "c1")]) }))(parts()) },
  {
    name: "toolErrorMiddleware words the error for the model",
    build: () =>
      ((p) => setup(p, { tools: [p.charge], middleware: [toolErrorMiddleware({ onError: (e) => `failed: ${(e as Error).message}` })], model: script([charge("bad-1", "c1")], [charge("o-2", "c2")]) }))(parts()),
  },
  {
    name: "toolErrorMiddleware declines, and the error fails the run",
    build: () => ((p) => setup(p, { tools: [p.charge], middleware: [toolErrorMiddleware({ onError: () => undefined })], model: script([charge("bad-1", "c1")]) }))(parts()),
  },
  { name: "another middleware throws before the tool runs", build: () => ((p) => setup(p, { tools: [p.charge], middleware: [gate(p, "before")], model: script([charge("o-1", "c1")]) }))(parts()) },
  { name: "another middleware throws after the tool ran", build: () => ((p) => setup(p, { tools: [p.charge], middleware: [gate(p, "after")], model: script([charge("o-1", "c1")]) }))(parts()) },
  {
    name: "another middleware returns what langchain refuses",
    build: () =>
      ((p) => {
        const broken = createMiddleware({ name: "Broken", wrapToolCall: async (request, handler) => (await handler(request), "not a message" as unknown as ToolMessage) });
        return setup(p, { tools: [p.charge], middleware: [broken], model: script([charge("o-1", "c1")]) });
      })(parts()),
  },
  {
    name: "another middleware rewrites the call and the answer",
    build: () =>
      ((p) => {
        const rewrite = createMiddleware({
          name: "Rewrite",
          wrapToolCall: async (request, handler) => {
            const args = { ...request.toolCall.args, slot: `${String(request.toolCall.args.slot)}Z` };
            const out = await handler({ ...request, toolCall: { ...request.toolCall, args } });
            return ToolMessage.isInstance(out) ? new ToolMessage({ content: `${String(out.content)} (checked)`, tool_call_id: out.tool_call_id, name: out.name, status: out.status }) : out;
          },
        });
        return setup(p, { tools: [p.book], middleware: [rewrite], model: script([book("10:00", "c1")]) });
      })(parts()),
  },
  {
    name: "a dynamic tool added in wrapModelCall and run in wrapToolCall",
    build: () =>
      ((p) => {
        const dynamic = createMiddleware({
          name: "Dynamic",
          wrapModelCall: (request, handler) => handler({ ...request, tools: [...request.tools, p.lookup] }),
          wrapToolCall: (request, handler) => handler(request.toolCall.name === "lookup" ? { ...request, tool: p.lookup } : request),
        });
        return setup(p, { tools: [p.book], middleware: [dynamic], model: script([call("lookup", { q: "y" }, "c1")]) });
      })(parts()),
  },
];
