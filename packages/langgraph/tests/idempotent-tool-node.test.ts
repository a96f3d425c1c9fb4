/**
 * IdempotentToolNode's own behaviour: what it records, what a replay looks like, how it treats
 * failures, how tools read their key, and that it plugs in wherever a ToolNode does.
 */
import { isIdempotencyError, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import type { IdempotencyOptions } from "@agent-idempotency/core";
import { ENGINE_RUN_METADATA, getIdempotencyKey, idempotencyHeaders, IdempotentToolNode } from "@agent-idempotency/langgraph";
import type { IdempotentToolNodeOptions } from "@agent-idempotency/langgraph";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { AIMessage, ToolMessage } from "@langchain/core/messages";
import { StructuredTool, tool } from "@langchain/core/tools";
import { Command, MessagesAnnotation, Send, START, StateGraph } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentGraph, human, scriptedModel, thread, toolMessages } from "./helpers.js";

const engine = (tools: IdempotencyOptions["tools"], extra: Partial<IdempotencyOptions> = {}): IdempotencyOptions => ({ store: new MemoryStore(), tools, ...extra });
const node = (tools: ConstructorParameters<typeof IdempotentToolNode>[0], options: IdempotentToolNodeOptions) => new IdempotentToolNode(tools, options);

function counted(name: string, schema: z.ZodObject = z.object({ slot: z.string() })) {
  const calls: { args: unknown; key: string | undefined }[] = [];
  const t = tool(async (args, config) => (calls.push({ args, key: getIdempotencyKey(config) }), `${name} ok #${calls.length}`), { name, description: name, schema });
  return { tool: t, calls };
}

describe("IdempotentToolNode", () => {
  it("runTool(): two identical calls in one AI message run in parallel and the second replays the first", async () => {
    const book = counted("book");
    const model = scriptedModel([
      { name: "book", args: { slot: "9" }, id: "c1" },
      { name: "book", args: { slot: "9" }, id: "c2" },
    ]);
    const out = await agentGraph(model, node([book.tool], { idempotency: engine({ book: {} }) })).invoke({ messages: [human("x", "h1")] }, thread("p1"));
    expect(book.calls).toHaveLength(1);
    const answers = toolMessages(out.messages);
    expect(answers.map((m) => m.id)).toEqual(["c1", "c2"]);
    expect(answers.map((m) => m.replayed).sort()).toEqual([false, true]);
    expect(answers[0]!.content).toBe(answers[1]!.content);
  });

  it("runTool(): a tool's error is answered with the key it was handed; with cacheErrors, its duplicate in the same message is handed the leader's error, with the same key, replayed; the tool runs once", async () => {
    const keys: (string | undefined)[] = [];
    const charge = tool(
      async (_args, config) => {
        keys.push(getIdempotencyKey(config));
        await new Promise((r) => setTimeout(r, 20));
        throw new Error("card declined");
      },
      { name: "charge", description: "charge", schema: z.object({ order: z.string() }) },
    );
    const model = scriptedModel([
      { name: "charge", args: { order: "o-1" }, id: "c1" },
      { name: "charge", args: { order: "o-1" }, id: "c2" },
    ]);
    const out = await agentGraph(model, node([charge], { idempotency: engine({ charge: { cacheErrors: true } }) })).invoke({ messages: [human("x", "h1")] }, thread("p-err"));
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    const answers = toolMessages(out.messages).filter((m) => m.status === "error");
    expect(answers.map((m) => m.id)).toEqual(["c1", "c2"]);
    expect(answers.map((m) => [m.key, m.replayed])).toEqual([
      [keys[0], false],
      [keys[0], true],
    ]);
  });

  it("runTool(): the key is computed from schema-parsed arguments (defaults applied, unknown keys stripped)", async () => {
    const book = counted("book", z.object({ slot: z.string(), minutes: z.number().default(30) }));
    const model = scriptedModel([{ name: "book", args: { slot: "9", minutes: 30 }, id: "c1" }], [{ name: "book", args: { slot: "9", note: "asap" }, id: "c2" }]);
    const out = await agentGraph(model, node([book.tool], { idempotency: engine({ book: {} }) })).invoke({ messages: [human("x", "h1")] }, thread("p2"));
    expect(book.calls).toEqual([{ args: { slot: "9", minutes: 30 }, key: expect.stringMatching(/^[0-9a-f]{32}$/) }]);
    expect(toolMessages(out.messages).map((m) => m.replayed)).toEqual([false, true]);
  });

  it("runTool(): a replay keeps content, artifact and status, answers the current id, and carries the metadata", async () => {
    let runs = 0;
    const search = tool(async () => (runs++, ["found 2", { ids: [1, 2] }]), {
      name: "search",
      description: "s",
      schema: z.object({ q: z.string() }),
      responseFormat: "content_and_artifact",
    });
    const model = scriptedModel([{ name: "search", args: { q: "a" }, id: "c1" }], [{ name: "search", args: { q: "a" }, id: "c2" }]);
    const out = await agentGraph(model, node([search], { idempotency: engine({ search: {} }) })).invoke({ messages: [human("x", "h1")] }, thread("p3"));
    expect(runs).toBe(1);
    const [first, replay] = out.messages.filter((m) => ToolMessage.isInstance(m)) as ToolMessage[];
    expect(replay!.tool_call_id).toBe("c2");
    expect(replay!.content).toBe("found 2");
    expect(replay!.artifact).toEqual({ ids: [1, 2] });
    expect(replay!.status).toBe("success");
    expect(replay!.name).toBe("search");
    expect(replay!.id).not.toBe(first!.id);
    expect(replay!.response_metadata.idempotency).toEqual({
      key: (first!.response_metadata.idempotency as { key: string }).key,
      replayed: true,
      outcome: "replayed",
      attempt: 1,
      recordedAt: expect.any(Number),
    });
  });

  it("runTool(): a tool error (an error-status ToolMessage) is a failure: nothing is recorded and the retry runs", async () => {
    let attempts = 0;
    const flaky = tool(
      async () => {
        if (++attempts === 1) throw new Error("calendar 503");
        return "booked";
      },
      { name: "book", description: "b", schema: z.object({ slot: z.string() }) },
    );
    const model = scriptedModel([{ name: "book", args: { slot: "9" }, id: "c1" }], [{ name: "book", args: { slot: "9" }, id: "c2" }]);
    const out = await agentGraph(model, node([flaky], { idempotency: engine({ book: {} }) })).invoke({ messages: [human("x", "h1")] }, thread("p4"));
    expect(attempts).toBe(2);
    const answers = toolMessages(out.messages);
    expect(answers.map((m) => m.status)).toEqual(["error", "success"]);
    expect(answers[0]!.content).toContain("calendar 503");
    expect(answers.map((m) => m.replayed)).toEqual([false, false]);
    expect(answers[0]!.key).toBe(answers[1]!.key); // the retry runs under the same key
  });

  it("runTool(): a tool that returns a ToolMessage with status error is a failure too", async () => {
    let attempts = 0;
    const t = tool(
      async (_args, config) => new ToolMessage({ content: `declined ${++attempts}`, status: "error", tool_call_id: config.toolCall!.id! }),
      { name: "charge", description: "c", schema: z.object({ amount: z.number() }) },
    );
    const model = scriptedModel([{ name: "charge", args: { amount: 1 }, id: "c1" }], [{ name: "charge", args: { amount: 1 }, id: "c2" }]);
    const out = await agentGraph(model, node([t], { idempotency: engine({ charge: {} }) })).invoke({ messages: [human("x", "h1")] }, thread("p5"));
    expect(attempts).toBe(2);
    expect(toolMessages(out.messages).map((m) => [m.id, m.content, m.status])).toEqual([["c1", "declined 1", "error"], ["c2", "declined 2", "error"]]);
  });

  it("runTool(): with cacheErrors the error ToolMessage is recorded and replays under the current id", async () => {
    let attempts = 0;
    const t = tool(async () => { attempts++; throw new Error("card declined"); }, { name: "charge", description: "c", schema: z.object({ amount: z.number() }) });
    const model = scriptedModel([{ name: "charge", args: { amount: 1 }, id: "c1" }], [{ name: "charge", args: { amount: 1 }, id: "c2" }]);
    const out = await agentGraph(model, node([t], { idempotency: engine({ charge: { cacheErrors: true } }) })).invoke({ messages: [human("x", "h1")] }, thread("p6"));
    expect(attempts).toBe(1);
    const answers = toolMessages(out.messages);
    expect(answers.map((m) => [m.id, m.status, m.replayed])).toEqual([["c1", "error", false], ["c2", "error", true]]);
    expect(answers[1]!.content).toBe(answers[0]!.content);
  });

  it("runTool(): with handleToolErrors false a tool error is thrown and the claim released", async () => {
    let attempts = 0;
    const t = tool(async () => { if (++attempts === 1) throw new Error("boom"); return "ok"; }, { name: "book", description: "b", schema: z.object({ slot: z.string() }) });
    const n = node([t], { handleToolErrors: false, idempotency: engine({ book: {} }) });
    const input = { messages: [human("x", "h1"), new AIMessage({ content: "", tool_calls: [{ id: "c1", name: "book", args: { slot: "9" } }] })] };
    const graph = new StateGraph(MessagesAnnotation).addNode("tools", n).addEdge(START, "tools").compile();
    await expect(graph.invoke(input, thread("p7"))).rejects.toThrow("boom");
    const out = await graph.invoke(input, thread("p7"));
    expect(attempts).toBe(2);
    expect(toolMessages(out.messages).at(-1)).toMatchObject({ id: "c1", content: "ok", replayed: false });
  });

  it("runTool(): a guarded call without thread_id runs, scoped to the invocation, with one warning", async () => {
    const book = counted("book");
    const warnings: string[] = [];
    const graph = new StateGraph(MessagesAnnotation).addNode("tools", node([book.tool], { idempotency: engine({ book: {} }, { onWarning: (m) => warnings.push(m) }) })).addEdge(START, "tools").compile();
    const input = (h: string) => ({ messages: [human("x", h), new AIMessage({ content: "", tool_calls: [{ id: "c1", name: "book", args: { slot: "9" } }] })] });
    await graph.invoke(input("h1"));
    await graph.invoke(input("h2"));
    expect(book.calls).toHaveLength(2);
    expect(warnings).toEqual([expect.stringMatching(/^IdempotentToolNode: book: no thread_id in config\.configurable, so keys are scoped to this invocation/)]);
  });

  it("runTool(): a missing identity field goes back to the model as an error ToolMessage; the tool does not run", async () => {
    const book = counted("book", z.object({ slot: z.string(), calendar_id: z.string().optional() }));
    const tools = { book: { identity: ["slot", "calendar_id"] } };
    const input = { messages: [human("x", "h1"), new AIMessage({ content: "", tool_calls: [{ id: "c1", name: "book", args: { slot: "9" } }] })] };
    const lenient = new StateGraph(MessagesAnnotation).addNode("tools", node([book.tool], { idempotency: engine(tools) })).addEdge(START, "tools").compile();
    const out = await lenient.invoke(input, thread("p8"));
    const answer = out.messages.at(-1) as ToolMessage;
    expect(answer).toMatchObject({ status: "error", tool_call_id: "c1" });
    expect(String(answer.content)).toMatch(/identity field "calendar_id" is missing/);
    const strict = new StateGraph(MessagesAnnotation).addNode("tools", node([book.tool], { idempotency: engine(tools), handleToolErrors: false })).addEdge(START, "tools").compile();
    const error = await strict.invoke(input, thread("p8")).catch((e: unknown) => e);
    expect(isIdempotencyError(error, "KEY_INVALID")).toBe(true);
    expect(book.calls).toHaveLength(0);
  });

  it("getIdempotencyKey(): reaches tool() functions and StructuredTool classes, undefined for unguarded tools", async () => {
    const seen: Record<string, unknown> = {};
    class Charge extends StructuredTool {
      name = "charge";
      description = "c";
      schema = z.object({ amount: z.number() });
      async _call(_args: { amount: number }, _run: unknown, config?: unknown) {
        seen.charge = getIdempotencyKey(config);
        seen.chargeHeaders = idempotencyHeaders(config);
        return "charged";
      }
    }
    const book = tool(async (_a, config) => ((seen.book = getIdempotencyKey(config)), (seen.bookAls = getIdempotencyKey()), "ok"), { name: "book", description: "b", schema: z.object({ slot: z.string() }) });
    const lookup = tool(async (_a, config) => ((seen.lookup = getIdempotencyKey(config)), (seen.lookupHeaders = idempotencyHeaders(config)), "ok"), { name: "lookup", description: "l", schema: z.object({ q: z.string() }) });
    const model = scriptedModel([
      { name: "charge", args: { amount: 5 }, id: "c1" },
      { name: "book", args: { slot: "9" }, id: "c2" },
      { name: "lookup", args: { q: "x" }, id: "c3" },
    ]);
    await agentGraph(model, node([new Charge(), book, lookup], { idempotency: engine({ charge: {}, book: {} }) })).invoke({ messages: [human("x", "h1")] }, thread("p8"));
    expect(seen.charge).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.chargeHeaders).toEqual({ "Idempotency-Key": seen.charge });
    expect(seen.book).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.bookAls).toBe(seen.book);
    expect(seen.book).not.toBe(seen.charge);
    expect(seen.lookup).toBeUndefined();
    expect(seen.lookupHeaders).toEqual({});
  });

  it("runTool(): every call is audited; unguarded tools as unguarded, with the thread as session", async () => {
    const book = counted("book");
    const lookup = counted("lookup", z.object({ q: z.string() }));
    const audit = new MemoryAuditLog();
    const model = scriptedModel([
      { name: "book", args: { slot: "9" }, id: "c1" },
      { name: "lookup", args: { q: "x" }, id: "c2" },
    ]);
    await agentGraph(model, node([book.tool, lookup.tool], { idempotency: engine({ book: {} }, { audit }) })).invoke({ messages: [human("x", "h1")] }, thread("p14"));
    const entries = audit.entries.map((e) => [e.action_type, e.outcome, e.session_id, e.tool_call_id]).sort();
    expect(entries).toEqual([["book", "executed", "p14", "c1"], ["lookup", "unguarded", "p14", "c2"]]);
    expect(lookup.calls).toHaveLength(1);
  });

  it("runTool(): tool runs go through the engine marked with ENGINE_RUN_METADATA, so callbacks leave their entries to it", async () => {
    const book = counted("book");
    const lookup = counted("lookup", z.object({ q: z.string() }));
    const marks: Record<string, unknown> = {};
    const watcher = BaseCallbackHandler.fromMethods({
      handleToolStart(_tool, _input, _runId, _parent, _tags, metadata, _runName, toolCallId) {
        marks[toolCallId ?? "?"] = metadata?.[ENGINE_RUN_METADATA] ?? "none";
      },
    });
    const model = scriptedModel([
      { name: "book", args: { slot: "9" }, id: "c1" },
      { name: "lookup", args: { q: "x" }, id: "c2" },
    ]);
    await agentGraph(model, node([book.tool, lookup.tool], { idempotency: engine({ book: {} }) })).invoke({ messages: [human("x", "h1")] }, { ...thread("p15"), callbacks: [watcher] });
    expect(marks).toEqual({ c1: { guarded: true, key: book.calls[0]!.key }, c2: { guarded: false } });
  });

  it("runTool(): a replay is visible as idempotency_replay in streamEvents and in streamMode custom", async () => {
    const book = counted("book");
    const script = () => scriptedModel([{ name: "book", args: { slot: "9" }, id: "c1" }], [{ name: "book", args: { slot: "9" }, id: "c2" }]);
    const n = node([book.tool], { idempotency: engine({ book: {} }) });
    const events: unknown[] = [];
    for await (const e of agentGraph(script(), n).streamEvents({ messages: [human("x", "h1")] }, { ...thread("p9"), version: "v2" })) {
      if (e.event === "on_custom_event") events.push({ name: e.name, data: e.data });
    }
    expect(events).toEqual([{ name: "idempotency_replay", data: expect.objectContaining({ tool: "book", tool_call_id: "c2", outcome: "replayed" }) }]);
    const custom: unknown[] = [];
    for await (const chunk of await agentGraph(script(), n).stream({ messages: [human("x", "h2")] }, { ...thread("p9b"), streamMode: "custom" })) custom.push(chunk);
    expect(custom).toEqual([{ name: "idempotency_replay", payload: expect.objectContaining({ tool: "book", tool_call_id: "c2", key: expect.any(String) }) }]);
    expect(book.calls).toHaveLength(2);
  });

  it("plugs into createReactAgent({ tools: node })", async () => {
    const book = counted("book");
    const llm = scriptedModel([{ name: "book", args: { slot: "9" }, id: "c1" }], [{ name: "book", args: { slot: "9" }, id: "c2" }]);
    const agent = createReactAgent({ llm, tools: node([book.tool], { idempotency: engine({ book: {} }) }) });
    const out = await agent.invoke({ messages: [human("x", "h1")] }, thread("p10"));
    expect(book.calls).toHaveLength(1);
    expect(toolMessages(out.messages).map((m) => m.replayed)).toEqual([false, true]);
  });

  it("plugs into Send-based per-call fan-out", async () => {
    const book = counted("book");
    const n = node([book.tool], { idempotency: engine({ book: {} }) });
    const calls = [1, 2, 3].map((i) => ({ id: `c${i}`, name: "book", args: { slot: i === 3 ? "1" : String(i) }, type: "tool_call" as const }));
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("tools", n)
      .addConditionalEdges(START, (state) => calls.map((c) => new Send("tools", { lg_tool_call: c, messages: state.messages })), ["tools"])
      .compile();
    const out = await graph.invoke({ messages: [human("x", "h1")] }, thread("p11"));
    expect(book.calls.map((c) => c.args)).toEqual(expect.arrayContaining([{ slot: "1" }, { slot: "2" }]));
    expect(book.calls).toHaveLength(2);
    expect(toolMessages(out.messages).map((m) => m.id).sort()).toEqual(["c1", "c2", "c3"]);
  });

  it("runTool(): a tool that returns a Command replays it with its ToolMessage answering the current id", async () => {
    let runs = 0;
    const t = tool(
      async ({ slot }, config) =>
        new Command({ update: { messages: [new ToolMessage({ id: `tm-${++runs}`, content: `booked ${slot}`, tool_call_id: config.toolCall!.id! })] } }),
      { name: "book", description: "b", schema: z.object({ slot: z.string() }) },
    );
    const model = scriptedModel([{ name: "book", args: { slot: "9" }, id: "c1" }], [{ name: "book", args: { slot: "9" }, id: "c2" }]);
    const out = await agentGraph(model, node([t], { idempotency: engine({ book: {} }) })).invoke({ messages: [human("x", "h1")] }, thread("p12"));
    expect(runs).toBe(1);
    expect(toolMessages(out.messages).map((m) => [m.id, m.content, m.replayed])).toEqual([["c1", "booked 9", false], ["c2", "booked 9", true]]);
  });

  it("scope: \"thread\" replays across turns; a scope function decides on its own", async () => {
    for (const [scope, expected] of [["thread", 1], [() => "per-user-7", 1], ["turn", 2]] as const) {
      const book = counted("book");
      const n = node([book.tool], { scope, idempotency: engine({ book: {} }) });
      const call = (id: string) => new AIMessage({ content: "", tool_calls: [{ id, name: "book", args: { slot: "9" } }] });
      const graph = new StateGraph(MessagesAnnotation).addNode("tools", n).addEdge(START, "tools").compile();
      await graph.invoke({ messages: [human("x", "h1"), call("c1")] }, thread("p13"));
      await graph.invoke({ messages: [human("again", "h2"), call("c2")] }, thread("p13"));
      expect(book.calls, String(scope)).toHaveLength(expected);
    }
  });
});
