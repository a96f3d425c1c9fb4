// The graph steps the integration section times: one tools step of a LangGraph graph, run by the
// stock ToolNode or by IdempotentToolNode, and the tools step of a `createAgent` agent, with or
// without idempotencyMiddleware. Same tool, same 211-byte arguments, same booking as every other
// section (workload.mjs), with a zod schema as a real tool has.
import { IdempotentToolNode } from "@agent-idempotency/langgraph";
import { toolOutputSchema } from "@agent-idempotency/langgraph/internal";
import { idempotencyMiddleware } from "@agent-idempotency/langchain";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode } from "@langchain/langgraph/prebuilt";
import { createAgent, createMiddleware, fakeModel } from "langchain";
import { z } from "zod";
import { args200, bookCalendar } from "./workload.mjs";

/** The booking tool: `bookCalendar` behind the schema of `args200`'s arguments. */
export const bookTool = tool(async (a) => bookCalendar(a), {
  name: "book_calendar",
  description: "Book a calendar slot",
  schema: z.object({
    user_id: z.string(),
    calendar_id: z.string(),
    slot: z.object({ start: z.string(), end: z.string() }),
    title: z.string(),
    attendees: z.array(z.string()),
    request_no: z.number(),
  }),
});

/** A one-node graph around `node`: START -> tools. */
export function stepGraph(node) {
  return new StateGraph(MessagesAnnotation).addNode("tools", node).addEdge(START, "tools").compile();
}

/** The stock LangGraph step. */
export const stockNode = () => stepGraph(new ToolNode([bookTool]));

/** The step with IdempotentToolNode on `engine` (no policy for the tool: passthrough). */
export const idempotentNode = (engine) => stepGraph(new IdempotentToolNode([bookTool], { idempotency: engine }));

/**
 * The tools step of a `createAgent` agent with `middleware`: the agent's own ToolNode (with the
 * agent's `wrapToolCall` chain), taken out of its compiled graph and run as the one node of a graph,
 * so a step times the tool calls and not the model's turns around them.
 */
export function agentStep(middleware) {
  const agent = createAgent({ model: fakeModel(), tools: [bookTool], middleware });
  const node = agent.graph.nodes.tools?.bound;
  if (node === undefined) throw new Error("createAgent built no tools node");
  return stepGraph(node);
}

/** The agent step with idempotencyMiddleware on `engine`. */
export const guardedAgent = (engine) => agentStep([idempotencyMiddleware({ idempotency: engine, tools: [bookTool] })]);

/** The agent step with a `wrapToolCall` middleware that does nothing: what langchain's chain costs alone. */
export const noopAgent = () => agentStep([createMiddleware({ name: "Noop", wrapToolCall: (request, handler) => handler(request) })]);

const human = new HumanMessage({ id: "h-bench", content: "book the design review" });

/**
 * The state of one step: the user's message and the model's message with `calls` tool calls, the
 * j-th with the arguments of action `i * calls + j`.
 */
export function stepInput(i, calls = 1) {
  const tool_calls = Array.from({ length: calls }, (_, j) => ({ id: `call_${i}_${j}`, name: "book_calendar", args: args200(i * calls + j), type: "tool_call" }));
  return { messages: [human, new AIMessage({ id: `ai_${i}`, content: "", tool_calls })] };
}

/** The config of every step: one thread. */
export const stepConfig = { configurable: { thread_id: "t-bench" } };

const schema = toolOutputSchema(bookTool);

/**
 * The engine alone, with the call a step makes of it for action `i`: the same arguments, input
 * schema, turn scope and thread, and a recorded ToolMessage as the value; no graph around it.
 */
export function engineCall(engine, i) {
  const args = args200(i);
  return engine.run(
    { action: "book_calendar", args, schema, scope: 'turn:["t-bench","h-bench"]', sessionId: "t-bench", toolCallId: `call_${i}_0` },
    async () => ({ kind: "tool_message", content: JSON.stringify(await bookCalendar(args)), status: "success" }),
  );
}
