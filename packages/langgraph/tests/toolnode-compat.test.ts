/**
 * IdempotentToolNode is a drop-in ToolNode: the same inputs through the stock ToolNode, through
 * IdempotentToolNode with no policies, and through IdempotentToolNode with every tool guarded
 * (`defaults.guard: "all"`, the default "turn" scope) give the same results, except for the
 * documented `response_metadata.idempotency`. Message ids (random uuids the reducer assigns), run
 * ids and run metadata are left out of the comparison; everything else must be equal.
 */
import { MemoryStore } from "@agent-idempotency/core";
import { IdempotentToolNode } from "@agent-idempotency/langgraph";
import type { BaseMessage } from "@langchain/core/messages";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { Annotation, Command, END, interrupt, isCommand, MemorySaver, MessagesAnnotation, Send, START, StateGraph } from "@langchain/langgraph";
import { createReactAgent, ToolNode } from "@langchain/langgraph/prebuilt";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentGraph, retryAtOnce, scriptedModel } from "./helpers.js";

type Variant = "stock" | "no policies" | "every tool guarded";
type MakeNode = (tools: StructuredToolInterface[], options?: { handleToolErrors?: boolean }) => ToolNode;

const warnings: string[] = [];
const makers: Record<Variant, MakeNode> = {
  stock: (tools, options) => new ToolNode(tools, options),
  "no policies": (tools, options) => new IdempotentToolNode(tools, { ...options, idempotency: { store: new MemoryStore(), onWarning: (m) => warnings.push(m) } }),
  "every tool guarded": (tools, options) =>
    new IdempotentToolNode(tools, { ...options, idempotency: { store: new MemoryStore(), defaults: { guard: "all" }, onWarning: (m) => warnings.push(m) } }),
};

// Pure tools: the same input gives the same output, so a replay is indistinguishable by result.
const weather = tool(async ({ city }) => `sunny in ${city}`, { name: "weather", description: "Weather", schema: z.object({ city: z.string() }) });
const search = tool(async ({ q }) => [`2 hits for ${q}`, { hits: [1, 2] }], {
  name: "search",
  description: "Search",
  schema: z.object({ q: z.string() }),
  responseFormat: "content_and_artifact",
});
const broken = tool(
  async () => {
    throw Object.assign(new Error("upstream said 504"), { status: 504 });
  },
  { name: "broken", description: "Always fails", schema: z.object({ x: z.number() }) },
);
const navigate = tool(
  async ({ to }, config) =>
    new Command({ update: { messages: [new ToolMessage({ content: `going to ${to}`, tool_call_id: config.toolCall!.id! })], visited: [to] }, goto: to }),
  { name: "navigate", description: "Go somewhere", schema: z.object({ to: z.string() }) },
);
const handoff = tool(async ({ agent }) => new Command({ graph: Command.PARENT, goto: [new Send(agent, { task: "x" })] }), {
  name: "handoff",
  description: "Hand off",
  schema: z.object({ agent: z.string() }),
});
const approve = tool(async ({ amount }) => `approved ${amount}: ${String(interrupt({ question: `approve ${amount}?` }))}`, {
  name: "approve",
  description: "Ask a human",
  schema: z.object({ amount: z.number() }),
});
const ALL = [weather, search, broken, navigate, handoff, approve] as StructuredToolInterface[];

const call = (id: string, name: string, args: Record<string, unknown>) => ({ id, name, args, type: "tool_call" as const });
const ai = (...calls: ReturnType<typeof call>[]) => new AIMessage({ content: "", tool_calls: calls });

const DROPPED = new Set(["run_id", "parent_ids", "metadata"]);

/** What the comparison sees: JSON, without message/run ids, run metadata and the idempotency annotation. */
function normalize(value: unknown): unknown {
  const walk = (v: unknown, parent?: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (typeof v !== "object" || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (DROPPED.has(k) || (k === "id" && typeof x === "string") || (parent === "response_metadata" && k === "idempotency")) continue;
      out[k] = walk(x, k);
    }
    return out;
  };
  const plain = (v: unknown): unknown => {
    if (isCommand(v)) return { command: { update: plain(v.update), goto: plain(v.goto), graph: v.graph } };
    if (Array.isArray(v)) return v.map(plain);
    if (v instanceof Error) return { error: v.name, message: v.message };
    return v;
  };
  return walk(JSON.parse(JSON.stringify(plain(value) ?? null)));
}

async function settle<T>(p: Promise<T>): Promise<unknown> {
  try {
    return { ok: normalize(await p) };
  } catch (e) {
    return { threw: normalize(e) };
  }
}

/** Runs `scenario` once per variant and expects the three results to be equal (and not empty). */
async function same(scenario: (make: MakeNode, variant: Variant) => Promise<unknown>) {
  const results: Partial<Record<Variant, unknown>> = {};
  for (const variant of Object.keys(makers) as Variant[]) results[variant] = await scenario(makers[variant], variant);
  expect(results.stock).toBeDefined();
  expect(results["no policies"]).toEqual(results.stock);
  expect(results["every tool guarded"]).toEqual(results.stock);
  return results.stock;
}

const human = (content: string) => new HumanMessage(content);

describe("ToolNode compatibility", () => {
  it("direct invoke with a messages array (parallel calls, a duplicate, an artifact, a failure)", async () => {
    const stock = await same((make) =>
      settle(make(ALL).invoke([ai(call("c1", "weather", { city: "Oslo" }), call("c2", "weather", { city: "Oslo" }), call("c3", "search", { q: "x" }), call("c4", "broken", { x: 1 }))])),
    );
    expect(JSON.stringify(stock)).toContain("upstream said 504");
  });

  it("direct invoke with an AIMessage alone is refused the same way", async () => {
    const stock = await same((make) => settle(make(ALL).invoke(ai(call("c1", "weather", { city: "Oslo" })))));
    expect(stock).toHaveProperty("threw");
  });

  it("direct invoke with a state, and with handleToolErrors off", async () => {
    await same((make) => settle(make(ALL).invoke({ messages: [human("weather?"), ai(call("c1", "weather", { city: "Rome" }), call("c2", "search", { q: "y" }))] })));
    const thrown = await same((make) => settle(make(ALL, { handleToolErrors: false }).invoke({ messages: [human("x"), ai(call("c1", "broken", { x: 1 }))] })));
    expect(thrown).toEqual({ threw: { error: "Error", message: "upstream said 504" } });
  });

  it("Command results: a tool's update and goto, and parent Sends combined", async () => {
    await same((make) => settle(make(ALL).invoke({ messages: [human("go"), ai(call("c1", "navigate", { to: "shop" }), call("c2", "weather", { city: "Oslo" }))] })));
    await same((make) => settle(make(ALL).invoke([ai(call("c1", "handoff", { agent: "a" }), call("c2", "handoff", { agent: "b" }))])));
  });

  it("Send: a lg_tool_call input, and a Send fan-out graph without a checkpointer", async () => {
    await same((make) => settle(make(ALL).invoke({ lg_tool_call: call("c1", "weather", { city: "Paris" }), messages: [human("x")] })));
    await same(async (make) => {
      const calls = [call("c1", "weather", { city: "A" }), call("c2", "weather", { city: "B" }), call("c3", "weather", { city: "A" })];
      const graph = new StateGraph(MessagesAnnotation)
        .addNode("tools", make(ALL))
        .addConditionalEdges(START, (s) => calls.map((c) => new Send("tools", { lg_tool_call: c, messages: s.messages })), ["tools"])
        .compile();
      const out = await graph.invoke({ messages: [human("x")] });
      // Sends finish in any order; compare them as a set.
      return normalize(out.messages.map((m) => m.content).sort());
    });
  });

  it("a graph whose tool returns a Command with goto, no checkpointer", async () => {
    const State = Annotation.Root({ ...MessagesAnnotation.spec, visited: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    await same((make) => {
      const graph = new StateGraph(State)
        .addNode("tools", make(ALL), { ends: ["shop"] })
        .addNode("shop", async () => ({ visited: ["shop-entered"] }))
        .addEdge(START, "tools")
        .addEdge("shop", END)
        .compile();
      return settle(graph.invoke({ messages: [human("go"), ai(call("c1", "navigate", { to: "shop" }))] }));
    });
  });

  it("interrupts and resume", async () => {
    await same(async (make) => {
      const graph = new StateGraph(MessagesAnnotation).addNode("tools", make(ALL)).addEdge(START, "tools").compile({ checkpointer: new MemorySaver() });
      const config = { configurable: { thread_id: "compat-interrupt" } };
      const first = await graph.invoke({ messages: [human("pay"), ai(call("c1", "approve", { amount: 40 }), call("c2", "weather", { city: "Oslo" }))] }, config);
      const resumed = await graph.invoke(new Command({ resume: "yes" }), config);
      return normalize({ interrupt: (first as { __interrupt__?: unknown }).__interrupt__, resumed });
    });
  });

  it("streamEvents v2", async () => {
    await same(async (make) => {
      const graph = new StateGraph(MessagesAnnotation).addNode("tools", make(ALL)).addEdge(START, "tools").compile();
      const events: unknown[] = [];
      for await (const e of graph.streamEvents({ messages: [human("x"), ai(call("c1", "weather", { city: "Oslo" }))] }, { version: "v2" })) events.push(e);
      return normalize(events);
    });
  });

  it('streamMode "tools"', async () => {
    await same(async (make) => {
      const graph = new StateGraph(MessagesAnnotation).addNode("tools", make(ALL)).addEdge(START, "tools").compile();
      const chunks: unknown[] = [];
      for await (const c of await graph.stream({ messages: [human("x"), ai(call("c1", "weather", { city: "Oslo" }), call("c2", "broken", { x: 2 }))] }, { streamMode: "tools" })) chunks.push(c);
      return normalize(chunks.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
    });
  });

  it("a custom messages reducer (no message ids), with and without a thread", async () => {
    const AppendOnly = Annotation.Root({ messages: Annotation<BaseMessage[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    for (const checkpointer of [undefined, new MemorySaver()]) {
      await same((make) => {
        const graph = new StateGraph(AppendOnly).addNode("tools", make(ALL)).addEdge(START, "tools").compile(checkpointer ? { checkpointer } : {});
        const config = checkpointer ? { configurable: { thread_id: `compat-reducer-${Math.random()}` } } : {};
        return settle(graph.invoke({ messages: [human("x"), ai(call("c1", "weather", { city: "Oslo" }), call("c2", "search", { q: "z" }))] }, config));
      });
    }
  });

  it("an agent loop with no checkpointer, a node retry policy, and a model that repeats itself", async () => {
    await same((make) => {
      const model = scriptedModel([call("c1", "weather", { city: "Oslo" })], [call("c2", "weather", { city: "Oslo" }), call("c3", "broken", { x: 1 })]);
      return settle(agentGraph(model, make(ALL), { retryPolicy: retryAtOnce }).invoke({ messages: [human("weather twice")] }));
    });
  });

  it("createReactAgent, without and with a checkpointer", async () => {
    for (const checkpointer of [undefined, new MemorySaver()]) {
      await same((make) => {
        const llm = scriptedModel([call("c1", "weather", { city: "Oslo" }), call("c2", "search", { q: "q" })], [call("c3", "broken", { x: 3 })]);
        const agent = createReactAgent({ llm, tools: make(ALL), ...(checkpointer ? { checkpointSaver: checkpointer } : {}) });
        const config = checkpointer ? { configurable: { thread_id: `compat-react-${Math.random()}` } } : {};
        return settle(agent.invoke({ messages: [human("go")] }, config));
      });
    }
  });

  it("no guarded call was refused: the only warnings are the documented scope fallbacks", () => {
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings) expect(w).toMatch(/^IdempotentToolNode: \w+: (no thread_id|scope "turn" found)/);
  });
});
