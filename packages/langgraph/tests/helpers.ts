/**
 * A small real agent graph for the tests: a scripted model (`fakeModel()`) and a tools node
 * (stock `ToolNode` or `IdempotentToolNode`), wired the way every LangGraph ReAct loop is.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import type { FakeBuiltModel } from "@langchain/core/testing";
import { fakeModel } from "@langchain/core/testing";
import type { BaseCheckpointSaver, RetryPolicy } from "@langchain/langgraph";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import type { ToolNode } from "@langchain/langgraph/prebuilt";
import { toolsCondition } from "@langchain/langgraph/prebuilt";

export type ScriptedCall = { name: string; args: Record<string, unknown>; id: string };

/** A model that emits each batch of tool calls in turn, then "done". */
export function scriptedModel(...batches: ScriptedCall[][]): FakeBuiltModel {
  const model = fakeModel();
  for (const batch of batches) model.respondWithTools(batch);
  model.respond(new AIMessage("done"));
  return model;
}

/** agent ⇄ tools, compiled. */
export function agentGraph(model: FakeBuiltModel, tools: ToolNode, options: { checkpointer?: BaseCheckpointSaver; retryPolicy?: RetryPolicy } = {}) {
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode("tools", tools, options.retryPolicy ? { retryPolicy: options.retryPolicy } : {})
    .addEdge(START, "agent")
    .addConditionalEdges("agent", toolsCondition, ["tools", END])
    .addEdge("tools", "agent")
    .compile(options.checkpointer ? { checkpointer: options.checkpointer } : {});
}

/** A retry policy that retries at once, on anything. */
export const retryAtOnce: RetryPolicy = { maxAttempts: 3, initialInterval: 1, backoffFactor: 1, jitter: false, retryOn: () => true };

export const human = (content: string, id: string) => new HumanMessage({ content, id });

export const thread = (id: string) => ({ configurable: { thread_id: id } });

/** The ToolMessages of a run, as `{ id, content, replayed }`. */
export function toolMessages(messages: BaseMessage[]) {
  return messages
    .filter((m) => m.getType() === "tool")
    .map((m) => {
      const t = m as BaseMessage & { tool_call_id: string; status?: string };
      const meta = (t.response_metadata as { idempotency?: { replayed: boolean; key: string } } | undefined)?.idempotency;
      return { id: t.tool_call_id, content: t.content, status: t.status, replayed: meta?.replayed, key: meta?.key };
    });
}

/** Waits until `check()` is true (polling), for effects that finish in the background. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * A real HTTP upstream on a loopback port that dedupes POSTs by their `Idempotency-Key` header
 * (as Stripe does): `effects` counts the side effects it actually performed.
 */
export async function startUpstream() {
  const { createServer } = await import("node:http");
  const seen = new Map<string, string>();
  let effects = 0;
  const server = createServer((req, res) => {
    const key = req.headers["idempotency-key"];
    let id = typeof key === "string" ? seen.get(key) : undefined;
    if (id === undefined) {
      id = `eff_${++effects}`;
      if (typeof key === "string") seen.set(key, id);
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/effects`,
    get effects() {
      return effects;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
