import type { AuditEntry } from "@agent-idempotency/core";
import { createIdempotency, isIdempotencyError, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import { IdempotentToolNode } from "@agent-idempotency/langgraph";
import { AIMessage, ToolMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { Command, interrupt, MemorySaver } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { createAgent } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { idempotencyMiddleware } from "../src/index.js";
import { book, bookingTool, flakyTool, human, scriptedModel, seenByModel, thread, toolMessages } from "./helpers.js";

function guarded(tools: Record<string, object | true>, extra: { cacheErrors?: boolean } = {}, handleToolErrors?: boolean) {
  const audit = new MemoryAuditLog();
  const idempotency = createIdempotency({ store: new MemoryStore(), tools: Object.fromEntries(Object.entries(tools).map(([k, v]) => [k, v === true ? { ...extra } : { ...v, ...extra }])), audit });
  return { idempotency, audit, middleware: idempotencyMiddleware({ idempotency, ...(handleToolErrors === undefined ? {} : { handleToolErrors }) }) };
}
const outcomes = (entries: AuditEntry[]) => entries.map((e) => `${e.tool_call_id}:${e.outcome}`);

describe("idempotencyMiddleware() with createAgent", () => {
  it("wrapToolCall(): the model repeats a call with a new tool_call_id: one booking, the second answer is a replay", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const { middleware, audit } = guarded({ book_calendar: { identity: ["slot"] } });
    const model = scriptedModel([book("10:00", "c1")], [book("10:00", "c2")]);
    const agent = createAgent({ model, tools: [bookTool], middleware: [middleware] });
    const out = await agent.invoke({ messages: [human("book 10:00")] }, thread("t-repeat"));

    expect(effects).toHaveLength(1);
    const [first, second] = toolMessages(out.messages);
    expect(first).toMatchObject({ id: "c1", replayed: false, outcome: "executed" });
    expect(second).toMatchObject({ id: "c2", replayed: true, outcome: "replayed", content: first!.content, key: first!.key });
    expect(outcomes(audit.entries)).toEqual(["c1:executed", "c2:replayed"]);
    expect(out.messages.at(-1)!.content).toBe("done");
  });

  it("wrapToolCall(): the key reaches the tool through getIdempotencyKey(config) and the async context", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const { middleware, audit } = guarded({ book_calendar: { identity: ["slot"] } });
    const agent = createAgent({ model: scriptedModel([book("11:00", "c1")]), tools: [bookTool], middleware: [middleware] });
    await agent.invoke({ messages: [human("book 11:00")] }, thread("t-key"));
    expect(effects).toHaveLength(1);
    expect(effects[0]!.key).toMatch(/^[0-9a-f]{32}$/);
    expect(effects[0]!.key).toBe(audit.entries[0]!.idempotency_key);
    expect(effects[0]!.alsKey).toBe(effects[0]!.key);
  });

  it("wrapToolCall(): a tool without a policy runs untouched, gets no key, and the engine logs it as unguarded", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const { middleware, audit } = guarded({});
    const agent = createAgent({ model: scriptedModel([book("12:00", "c1")], [book("12:00", "c2")]), tools: [bookTool], middleware: [middleware] });
    await agent.invoke({ messages: [human("book 12:00")] }, thread("t-unguarded"));
    expect(effects.map((e) => e.key)).toEqual([undefined, undefined]);
    expect(outcomes(audit.entries)).toEqual(["c1:unguarded", "c2:unguarded"]);
    expect(audit.entries[0]).toMatchObject({ action_type: "book_calendar", session_id: "t-unguarded" });
    expect(audit.entries[0]!.idempotency_key).toBeUndefined();
  });

  // An agent without other wrapToolCall middleware, and the middleware asked to answer tool errors
  // the way that agent does (the default rethrows them: error-travel.test.ts).
  describe.each(["stock", "middleware"] as const)("a failing tool (%s)", (kind) => {
    const middleware = () => (kind === "stock" ? [] : [guarded({ charge_card: true }, {}, true).middleware]);

    it("wrapToolCall(): with handleToolErrors a thrown tool error becomes an error ToolMessage, the model sees it and the agent continues", async () => {
      const { tool: charge, effects } = flakyTool(1);
      const model = scriptedModel([{ name: "charge_card", args: { order_id: "o-1" }, id: "c1" }], [{ name: "charge_card", args: { order_id: "o-1" }, id: "c2" }]);
      const agent = createAgent({ model, tools: [charge], middleware: middleware() });
      const out = await agent.invoke({ messages: [human("charge o-1")] }, thread(`t-fail-${kind}`));

      // Not cached: the retry runs again (with the same key upstream, under the middleware).
      expect(effects).toEqual(["o-1", "o-1"]);
      const answers = toolMessages(out.messages).map(({ id, name, content, status }) => ({ id, name, content, status }));
      expect(answers).toEqual([
        { id: "c1", name: "charge_card", content: "Error: upstream 504 for order o-1\n Please fix your mistakes.", status: "error" },
        { id: "c2", name: "charge_card", content: "charged o-1", status: "success" },
      ]);
      expect(seenByModel(model).map((m) => m.status)).toEqual(["error", "success"]);
      expect(out.messages.at(-1)!.content).toBe("done");
    });

    it("wrapToolCall(): arguments the schema rejects get the ToolNode's own answer", async () => {
      const { tool: charge, effects } = flakyTool(0);
      const model = scriptedModel([{ name: "charge_card", args: { order: 42 }, id: "c1" }]);
      const agent = createAgent({ model, tools: [charge], middleware: middleware() });
      const out = await agent.invoke({ messages: [human("charge")] }, thread(`t-schema-${kind}`));
      expect(effects).toEqual([]);
      const [answer] = toolMessages(out.messages);
      expect(answer).toMatchObject({ id: "c1", status: "error" });
      expect(String(answer!.content)).toContain("Received tool input did not match expected schema");
      expect(out.messages.at(-1)!.content).toBe("done");
    });
  });

  it("wrapToolCall(): with handleToolErrors the error ToolMessage is the one createAgent gives without middleware, also for unguarded tools", async () => {
    const run = async (withMiddleware: boolean) => {
      const { tool: charge } = flakyTool();
      const model = scriptedModel([{ name: "charge_card", args: { order_id: "o-9" }, id: "c1" }]);
      const agent = createAgent({ model, tools: [charge], middleware: withMiddleware ? [guarded({}, {}, true).middleware] : [] });
      const out = await agent.invoke({ messages: [human("charge")] }, thread("t-same"));
      const msg = out.messages.find((m) => ToolMessage.isInstance(m)) as ToolMessage;
      return { content: msg.content, status: msg.status, name: msg.name, id: msg.tool_call_id, meta: msg.response_metadata };
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it("wrapToolCall(): interrupt() inside a guarded tool passes through; the resume books once", async () => {
    const effects: string[] = [];
    const confirmAndBook = tool(
      async ({ slot }) => {
        const answer = interrupt({ question: `book ${slot}?` }) as string;
        effects.push(`${slot}:${answer}`);
        return `booked ${slot}`;
      },
      { name: "book_calendar", description: "Book after confirmation", schema: z.object({ slot: z.string() }) },
    );
    const { middleware, audit } = guarded({ book_calendar: { identity: ["slot"] } });
    const agent = createAgent({ model: scriptedModel([book("09:00", "c1")]), tools: [confirmAndBook], middleware: [middleware], checkpointer: new MemorySaver() });
    const paused = await agent.invoke({ messages: [human("book 09:00")] }, thread("t-interrupt"));
    expect((paused as { __interrupt__?: unknown[] }).__interrupt__).toHaveLength(1);
    expect(effects).toEqual([]);
    expect(toolMessages(paused.messages)).toEqual([]); // no error ToolMessage: the interrupt was not a failure

    const done = await agent.invoke(new Command({ resume: "yes" }), thread("t-interrupt"));
    expect(effects).toEqual(["09:00:yes"]);
    expect(toolMessages(done.messages)).toMatchObject([{ id: "c1", content: "booked 09:00", replayed: false }]);
    expect(audit.entries.map((e) => e.outcome)).toEqual(["failed", "executed"]); // the interrupt released the claim
  });

  it("wrapToolCall(): without a thread_id the call runs, scoped to the invocation, and the middleware warns once", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const warnings: string[] = [];
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: { book_calendar: true }, onWarning: (m) => warnings.push(m) });
    const model = () => scriptedModel([book("10:00", "c1")], [book("10:00", "c2")]);
    const middleware = idempotencyMiddleware({ idempotency });
    const agent = (m: ReturnType<typeof model>) => createAgent({ model: m, tools: [bookTool], middleware: [middleware] });
    const out = await agent(model()).invoke({ messages: [human("book")] });
    expect(toolMessages(out.messages).map((m) => m.replayed)).toEqual([false, true]); // the repeat inside the invocation replays
    await agent(model()).invoke({ messages: [human("book")] }); // a new invocation runs again
    expect(effects).toHaveLength(2);
    expect(warnings).toEqual([expect.stringMatching(/^idempotencyMiddleware: book_calendar: no thread_id/)]);
  });

  it("wrapToolCall(): a call missing an identity field goes back to the model as an error ToolMessage; the tool never runs", async () => {
    let runs = 0;
    const bookFor = tool(async ({ slot }) => `booked ${slot} #${++runs}`, {
      name: "book_calendar",
      description: "Book a slot for a user",
      schema: z.object({ slot: z.string(), user_id: z.string().optional() }),
    });
    const { middleware, audit } = guarded({ book_calendar: { identity: ["user_id", "slot"] } });
    const model = scriptedModel([book("14:00", "c1")], [{ name: "book_calendar", args: { slot: "14:00", user_id: "u-1" }, id: "c2" }]);
    const agent = createAgent({ model, tools: [bookFor], middleware: [middleware] });
    const out = await agent.invoke({ messages: [human("book 14:00")] }, thread("t-identity"));
    expect(runs).toBe(1);
    const [first, second] = toolMessages(out.messages);
    expect(first).toMatchObject({ id: "c1", status: "error", outcome: "failed" });
    expect(String(first!.content)).toMatch(/^Error: .*user_id.*\n Please fix your mistakes\.$/s);
    expect(second).toMatchObject({ id: "c2", status: "success", outcome: "executed" });
    expect(audit.entries.map((e) => e.outcome)).toEqual(["failed", "executed"]); // the engine logs the call it could not key, keyless
  });

  it("wrapToolCall(): the same call twice in one AI message: one booking, both calls answered", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const { middleware, audit } = guarded({ book_calendar: { identity: ["slot"] } });
    const agent = createAgent({ model: scriptedModel([book("13:00", "c1"), book("13:00", "c2")]), tools: [bookTool], middleware: [middleware] });
    const out = await agent.invoke({ messages: [human("book 13:00")] }, thread("t-parallel"));
    expect(effects).toHaveLength(1);
    const answers = toolMessages(out.messages);
    expect(answers.map((a) => a.id).sort()).toEqual(["c1", "c2"]);
    expect(answers.filter((a) => a.replayed)).toHaveLength(1);
    expect(audit.entries.map((e) => e.outcome).sort()).toEqual(["executed", "replayed"]);
  });

  it("wrapToolCall(): a tool that returns an error ToolMessage is a failure: released, answered with its key, and the repeat runs again", async () => {
    let attempts = 0;
    const decline = tool(async (_args, config) => new ToolMessage({ content: `declined ${++attempts}`, status: "error", tool_call_id: config.toolCall!.id! }), {
      name: "charge_card",
      description: "Charge the card",
      schema: z.object({ order_id: z.string() }),
    });
    const { middleware, audit } = guarded({ charge_card: { identity: ["order_id"] } });
    const model = scriptedModel([{ name: "charge_card", args: { order_id: "o-3" }, id: "c1" }], [{ name: "charge_card", args: { order_id: "o-3" }, id: "c2" }]);
    const agent = createAgent({ model, tools: [decline], middleware: [middleware] });
    const out = await agent.invoke({ messages: [human("charge o-3")] }, thread("t-declined"));
    expect(attempts).toBe(2);
    const [first, second] = toolMessages(out.messages);
    expect(first).toMatchObject({ id: "c1", status: "error", content: "declined 1", replayed: false, outcome: "failed" });
    expect(second).toMatchObject({ id: "c2", status: "error", content: "declined 2", replayed: false, outcome: "failed", key: first!.key });
    expect(first!.key).toMatch(/^[0-9a-f]{32}$/);
    expect(outcomes(audit.entries)).toEqual(["c1:failed", "c2:failed"]);
  });

  it("wrapToolCall(): a replay is visible as idempotency_replay in streamEvents and in streamMode custom", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const { middleware } = guarded({ book_calendar: { identity: ["slot"] } });
    const agent = () => createAgent({ model: scriptedModel([book("16:00", "c1")], [book("16:00", "c2")]), tools: [bookTool], middleware: [middleware] });
    const events: unknown[] = [];
    for await (const e of agent().streamEvents({ messages: [human("book 16:00")] }, { ...thread("t-events"), version: "v2" })) {
      if (e.event === "on_custom_event") events.push({ name: e.name, data: e.data });
    }
    expect(events).toEqual([{ name: "idempotency_replay", data: expect.objectContaining({ tool: "book_calendar", tool_call_id: "c2", outcome: "replayed" }) }]);
    const custom: unknown[] = [];
    for await (const chunk of await agent().stream({ messages: [human("book 16:00")] }, { ...thread("t-custom"), streamMode: "custom" })) custom.push(chunk);
    expect(custom).toEqual([{ name: "idempotency_replay", payload: expect.objectContaining({ tool_call_id: "c2", key: expect.any(String) }) }]);
    expect(effects).toHaveLength(2); // one per thread
  });

  it("wrapToolCall(): with cacheErrors and handleToolErrors a recorded failure replays as the same error ToolMessage; the tool runs once", async () => {
    const { tool: charge, effects } = flakyTool();
    const { middleware } = guarded({ charge_card: true }, { cacheErrors: true }, true);
    const model = scriptedModel([{ name: "charge_card", args: { order_id: "o-2" }, id: "c1" }], [{ name: "charge_card", args: { order_id: "o-2" }, id: "c2" }]);
    const agent = createAgent({ model, tools: [charge], middleware: [middleware] });
    const out = await agent.invoke({ messages: [human("charge o-2")] }, thread("t-cache"));
    expect(effects).toEqual(["o-2"]);
    const [first, second] = toolMessages(out.messages);
    expect(first).toMatchObject({ id: "c1", status: "error", content: "Error: upstream 504 for order o-2\n Please fix your mistakes." });
    expect(second).toMatchObject({ id: "c2", status: "error", content: first!.content, replayed: true, outcome: "failed" });
  });

  it("wrapToolCall(): a tool that returns a Command replays as a Command answering the new id", async () => {
    let runs = 0;
    const note = tool(
      async ({ text }, config) => {
        runs++;
        const id = (config as { toolCall?: { id?: string } }).toolCall?.id ?? "";
        return new Command({ update: { messages: [new ToolMessage({ content: `noted ${text}`, tool_call_id: id })] } });
      },
      { name: "take_note", description: "Take a note", schema: z.object({ text: z.string() }) },
    );
    const { middleware } = guarded({ take_note: true });
    const calls = (id: string) => [{ name: "take_note", args: { text: "hi" }, id }];
    const agent = createAgent({ model: scriptedModel(calls("c1"), calls("c2")), tools: [note], middleware: [middleware] });
    const out = await agent.invoke({ messages: [human("note hi")] }, thread("t-command"));
    expect(runs).toBe(1);
    expect(toolMessages(out.messages)).toMatchObject([
      { id: "c1", content: "noted hi", replayed: false },
      { id: "c2", content: "noted hi", replayed: true },
    ]);
  });

  it("wrapToolCall(): an outcome recorded by IdempotentToolNode replays under the middleware (same store, same turn)", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const store = new MemoryStore();
    const policies = { book_calendar: { identity: ["slot"] } };
    const node = new IdempotentToolNode([bookTool], { idempotency: { store, tools: policies } });
    const model = scriptedModel([book("15:00", "n1")]);
    const graph = createReactAgent({ llm: model, tools: node });
    await graph.invoke({ messages: [human("book 15:00", "h-1")] }, thread("t-shared"));

    const agent = createAgent({ model: scriptedModel([book("15:00", "m1")]), tools: [bookTool], middleware: [idempotencyMiddleware({ idempotency: { store, tools: policies } })] });
    const out = await agent.invoke({ messages: [human("book 15:00", "h-1")] }, thread("t-shared"));
    expect(effects).toHaveLength(1);
    expect(toolMessages(out.messages)).toMatchObject([{ id: "m1", replayed: true }]);
    expect(out.messages.at(-1)).toBeInstanceOf(AIMessage);
  });
});
