/**
 * Scope set per tool, the default scope's fallbacks on real graphs (and that they hold across a
 * node retry), the tool's own error reaching cacheErrors once, and getIdempotencyKey() without
 * arguments inside a StructuredTool. Every test counts real side effects.
 */
import { MemoryStore } from "@agent-idempotency/core";
import type { IdempotencyOptions } from "@agent-idempotency/core";
import { getIdempotencyKey, idempotencyHeaders, IdempotentToolNode } from "@agent-idempotency/langgraph";
import type { BaseMessage } from "@langchain/core/messages";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { StructuredTool, tool } from "@langchain/core/tools";
import { Annotation, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentGraph, human, retryAtOnce, scriptedModel, thread, toolMessages } from "./helpers.js";

const quiet = { onWarning: () => {} };
const engine = (tools: IdempotencyOptions["tools"], extra: Partial<IdempotencyOptions> = {}): IdempotencyOptions => ({ store: new MemoryStore(), tools, ...quiet, ...extra });

function counted(name: string, schema: z.ZodObject = z.object({ slot: z.string() })) {
  const calls: unknown[] = [];
  const t = tool(async (args) => (calls.push(args), `${name} ok`), { name, description: name, schema });
  return { tool: t, calls };
}

const aiCall = (id: string, name: string, args: Record<string, unknown>) => new AIMessage({ content: "", tool_calls: [{ id, name, args }] });

/** A state whose messages reducer just appends: no ids, as some custom states do. */
const AppendOnly = Annotation.Root({ messages: Annotation<BaseMessage[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });

describe("scope per tool", () => {
  it("a thread-scoped tool and a turn-scoped tool in one node: the first runs once per thread, the second once per turn", async () => {
    const invoice = counted("send_invoice", z.object({ order: z.string() }));
    const ticket = counted("create_ticket", z.object({ title: z.string() }));
    const n = new IdempotentToolNode([invoice.tool, ticket.tool], {
      idempotency: engine({ send_invoice: { scope: "thread" }, create_ticket: {} }),
    });
    const graph = new StateGraph(MessagesAnnotation).addNode("tools", n).addEdge(START, "tools").compile();
    const turn = (h: string, c: string) => ({
      messages: [
        human("bill and file it", h),
        new AIMessage({
          content: "",
          tool_calls: [
            { id: `${c}a`, name: "send_invoice", args: { order: "o1" } },
            { id: `${c}b`, name: "create_ticket", args: { title: "t" } },
          ],
        }),
      ],
    });
    await graph.invoke(turn("h1", "c1"), thread("pt1"));
    const out = await graph.invoke(turn("h2", "c2"), thread("pt1"));
    expect(invoice.calls).toHaveLength(1);
    expect(ticket.calls).toHaveLength(2);
    expect(toolMessages(out.messages).map((m) => [m.id, m.replayed])).toEqual([["c2a", true], ["c2b", false]]);
  });

  it("a policy's scope function gets the tool's name and schema-parsed arguments; the node's option is the default", async () => {
    const invoice = counted("send_invoice", z.object({ order: z.string(), note: z.string().default("") }));
    const ticket = counted("create_ticket", z.object({ title: z.string() }));
    const seen: unknown[] = [];
    const byOrder = (_c: unknown, _s: unknown, call: { name: string; args: { order: string } }) => (seen.push(call), `order:${call.args.order}`);
    const n = new IdempotentToolNode([invoice.tool, ticket.tool], { scope: "thread", idempotency: engine({ send_invoice: { scope: byOrder }, create_ticket: {} }) });
    const graph = new StateGraph(MessagesAnnotation).addNode("tools", n).addEdge(START, "tools").compile();
    for (const t of ["x1", "x2"]) {
      await graph.invoke({ messages: [human("go", `h-${t}`), aiCall(`i-${t}`, "send_invoice", { order: "o7" })] }, thread(t));
      await graph.invoke({ messages: [human("go", `h2-${t}`), aiCall(`t-${t}`, "create_ticket", { title: "same" })] }, thread(t));
    }
    expect(invoice.calls).toHaveLength(1); // one order, two threads: the function's scope spans them
    expect(ticket.calls).toHaveLength(2); // the node's "thread": one per thread, across its turns
    expect(seen[0]).toEqual({ name: "send_invoice", args: { order: "o7", note: "" } });
  });

  it("new IdempotentToolNode(): a scope set both as the node's option and as the engine's defaults.scope is refused", () => {
    expect(() => new IdempotentToolNode([counted("book").tool], { scope: "thread", idempotency: { store: new MemoryStore(), tools: { book: {} }, defaults: { scope: "turn" } } })).toThrow(
      /scope is set twice/,
    );
  });
});

describe("the default scope falls back instead of throwing", () => {
  it("no thread_id: a node retry replays the sibling that already ran (human message ids from the reducer)", async () => {
    const book = counted("book");
    let lookups = 0;
    const flaky = tool(
      async () => {
        if (++lookups === 1) throw new Error("blip");
        return "free";
      },
      { name: "lookup", description: "l", schema: z.object({ slot: z.string() }) },
    );
    const n = new IdempotentToolNode([book.tool, flaky], { handleToolErrors: false, idempotency: engine({ book: {}, lookup: {} }) });
    const model = scriptedModel([
      { name: "book", args: { slot: "9" }, id: "c1" },
      { name: "lookup", args: { slot: "9" }, id: "c2" },
    ]);
    const out = await agentGraph(model, n, { retryPolicy: retryAtOnce }).invoke({ messages: [new HumanMessage("book 9")] });
    expect(lookups).toBe(2);
    expect(book.calls).toHaveLength(1);
    expect(toolMessages(out.messages).map((m) => [m.id, m.replayed])).toEqual([["c1", true], ["c2", false]]);
  });

  it("no thread_id and no message ids (an append-only reducer): a node retry still replays, through the task", async () => {
    const book = counted("book");
    let lookups = 0;
    const flaky = tool(async () => (++lookups === 1 ? Promise.reject(new Error("blip")) : "free"), { name: "lookup", description: "l", schema: z.object({ slot: z.string() }) });
    const n = new IdempotentToolNode([book.tool, flaky], { handleToolErrors: false, idempotency: engine({ book: {}, lookup: {} }) });
    const graph = new StateGraph(AppendOnly).addNode("tools", n, { retryPolicy: retryAtOnce }).addEdge(START, "tools").compile();
    const call = new AIMessage({
      content: "",
      tool_calls: [
        { id: "c1", name: "book", args: { slot: "9" } },
        { id: "c2", name: "lookup", args: { slot: "9" } },
      ],
    });
    await graph.invoke({ messages: [new HumanMessage("book 9"), call] });
    expect(lookups).toBe(2);
    expect(book.calls).toHaveLength(1);
  });

  it("no thread_id: the model repeating a call later in the invocation replays; a new invocation runs again", async () => {
    const book = counted("book");
    const n = new IdempotentToolNode([book.tool], { idempotency: engine({ book: {} }) });
    const script = () => scriptedModel([{ name: "book", args: { slot: "9" }, id: "c1" }], [{ name: "book", args: { slot: "9" }, id: "c2" }]);
    const first = await agentGraph(script(), n).invoke({ messages: [new HumanMessage("book 9")] });
    expect(toolMessages(first.messages).map((m) => m.replayed)).toEqual([false, true]);
    await agentGraph(script(), n).invoke({ messages: [new HumanMessage("book 9")] });
    expect(book.calls).toHaveLength(2);
  });

  it("human messages without ids, with a thread: a retry in the turn replays, the same words in a new turn run again", async () => {
    const book = counted("book");
    const n = new IdempotentToolNode([book.tool], { idempotency: engine({ book: {} }) });
    const graph = new StateGraph(AppendOnly).addNode("tools", n).addEdge(START, "tools").compile();
    const ask = new HumanMessage("book 9");
    await graph.invoke({ messages: [ask, aiCall("c1", "book", { slot: "9" })] }, thread("pos1"));
    await graph.invoke({ messages: [ask, aiCall("c2", "book", { slot: "9" })] }, thread("pos1")); // a retry of the turn
    expect(book.calls).toHaveLength(1);
    await graph.invoke({ messages: [ask, new AIMessage("done"), new HumanMessage("book 9"), aiCall("c3", "book", { slot: "9" })] }, thread("pos1"));
    expect(book.calls).toHaveLength(2);
  });

  it("no human message (a graph of tools only), with a thread: the thread is the turn", async () => {
    const book = counted("book");
    const n = new IdempotentToolNode([book.tool], { idempotency: engine({ book: {} }) });
    const graph = new StateGraph(MessagesAnnotation).addNode("tools", n).addEdge(START, "tools").compile();
    await graph.invoke({ messages: [aiCall("c1", "book", { slot: "9" })] }, thread("tools-only"));
    const out = await graph.invoke({ messages: [aiCall("c2", "book", { slot: "9" })] }, thread("tools-only"));
    expect(book.calls).toHaveLength(1);
    expect(toolMessages(out.messages).at(-1)?.replayed).toBe(true);
  });
});

describe("the tool's own error", () => {
  it("cacheErrors gets the tool's original error (its status), once per failure, under the node", async () => {
    const seen: unknown[] = [];
    let runs = 0;
    const charge = tool(
      async () => {
        runs++;
        throw Object.assign(new Error(runs === 1 ? "gateway timeout" : "card declined"), { status: runs === 1 ? 504 : 402 });
      },
      { name: "charge", description: "c", schema: z.object({ amount: z.number() }) },
    );
    const cacheErrors = (e: unknown) => (seen.push(e), (e as { status?: number }).status === 402);
    const n = new IdempotentToolNode([charge], { idempotency: engine({ charge: { cacheErrors } }) });
    const model = scriptedModel([{ name: "charge", args: { amount: 5 }, id: "c1" }], [{ name: "charge", args: { amount: 5 }, id: "c2" }], [{ name: "charge", args: { amount: 5 }, id: "c3" }]);
    const out = await agentGraph(model, n).invoke({ messages: [human("pay", "h1")] }, thread("ce1"));
    // 504: not final, released, the retry runs; 402: final, recorded, the third call replays it.
    expect(runs).toBe(2);
    expect(seen.map((e) => [(e as Error).message, (e as { status?: number }).status])).toEqual([["gateway timeout", 504], ["card declined", 402]]);
    const answers = out.messages.filter((m) => ToolMessage.isInstance(m)) as ToolMessage[];
    expect(answers.map((m) => [m.tool_call_id, m.status, m.content, (m.response_metadata.idempotency as { replayed: boolean }).replayed])).toEqual([
      ["c1", "error", "Error: gateway timeout\n Please fix your mistakes.", false],
      ["c2", "error", "Error: card declined\n Please fix your mistakes.", false],
      ["c3", "error", "Error: card declined\n Please fix your mistakes.", true],
    ]);
  });

  it("a single-flight duplicate of a final failure gets it without running, and cacheErrors is asked once", async () => {
    let runs = 0;
    let asked = 0;
    const charge = tool(
      async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 10));
        throw Object.assign(new Error("card declined"), { status: 402 });
      },
      { name: "charge", description: "c", schema: z.object({ amount: z.number() }) },
    );
    const n = new IdempotentToolNode([charge], { idempotency: engine({ charge: { cacheErrors: () => (asked++, true) } }) });
    const model = scriptedModel([
      { name: "charge", args: { amount: 5 }, id: "c1" },
      { name: "charge", args: { amount: 5 }, id: "c2" },
    ]);
    const out = await agentGraph(model, n).invoke({ messages: [human("pay", "h1")] }, thread("ce2"));
    expect(runs).toBe(1);
    expect(asked).toBe(1);
    const meta = (out.messages.filter((m) => ToolMessage.isInstance(m)) as ToolMessage[]).map((m) => m.response_metadata.idempotency as { key: string; replayed: boolean });
    expect(meta.map((m) => m.replayed).sort()).toEqual([false, true]);
    expect(meta[0]!.key).toBe(meta[1]!.key);
  });
});

describe("getIdempotencyKey() without arguments", () => {
  it("works in a StructuredTool subclass's _call and in helpers it awaits; undefined in an unguarded one", async () => {
    const seen: Record<string, unknown> = {};
    const sendToUpstream = async () => {
      await new Promise((r) => setTimeout(r, 1));
      return idempotencyHeaders();
    };
    class Charge extends StructuredTool {
      name = "charge";
      description = "c";
      schema = z.object({ amount: z.number() });
      async _call() {
        seen.charge = getIdempotencyKey();
        seen.headers = await sendToUpstream();
        return "charged";
      }
    }
    class Lookup extends StructuredTool {
      name = "lookup";
      description = "l";
      schema = z.object({ q: z.string() });
      async _call() {
        seen.lookup = getIdempotencyKey();
        return "found";
      }
    }
    const n = new IdempotentToolNode([new Charge(), new Lookup()], { idempotency: engine({ charge: {} }) });
    const out = await agentGraph(scriptedModel([{ name: "charge", args: { amount: 5 }, id: "c1" }, { name: "lookup", args: { q: "x" }, id: "c2" }]), n).invoke(
      { messages: [human("pay", "h1")] },
      thread("gk1"),
    );
    const key = toolMessages(out.messages).find((m) => m.id === "c1")?.key;
    expect(seen.charge).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.charge).toBe(key);
    expect(seen.headers).toEqual({ "Idempotency-Key": key });
    expect(seen.lookup).toBeUndefined();
  });
});
