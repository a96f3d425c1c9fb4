/**
 * The client side, end to end: tools loaded by `@langchain/mcp-adapters`' MultiServerMCPClient
 * from a real MCP server (stdio, its own process, SQLite), guarded by IdempotentToolNode and by
 * langchain's idempotencyMiddleware. What the server received (its `_meta`, its arguments) and the
 * side effects it made are read from the files it writes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createIdempotency, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import type { IdempotencyOptions } from "@agent-idempotency/core";
import { idempotencyMiddleware } from "@agent-idempotency/langchain";
import { IdempotentToolNode } from "@agent-idempotency/langgraph";
import { idempotentMcpTools, MCP_IDEMPOTENCY_KEY_META, mcpToolPolicies } from "@agent-idempotency/mcp";
import type { BaseMessage, ToolMessage } from "@langchain/core/messages";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { MultiServerMCPClient } from "@langchain/mcp-adapters";
import { createAgent, fakeModel } from "langchain";
import { built, SERVER, serverFiles } from "./helpers.js";
import type { IdempotencyMetadata } from "@agent-idempotency/langgraph";

/** What a guarded ToolMessage carries in `response_metadata.idempotency`. */
const idempotencyOf = (m: { response_metadata: Record<string, unknown> }) => m.response_metadata.idempotency as IdempotencyMetadata;

const KEY = MCP_IDEMPOTENCY_KEY_META;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A MultiServerMCPClient on a freshly spawned calendar server, and that server's files. */
async function calendar(env: Record<string, string> = {}, client: { defaultToolTimeout?: number } = {}) {
  const files = serverFiles(env);
  cleanups.push(files.remove);
  const connectMcp = () => {
    const mcp = new MultiServerMCPClient({ mcpServers: { calendar: { transport: "stdio", command: process.execPath, args: [SERVER], env: files.processEnv(), stderr: "inherit" } }, ...client });
    cleanups.push(() => mcp.close());
    return mcp;
  };
  return { ...files, connectMcp };
}

function graphOf(tools: Awaited<ReturnType<typeof idempotentMcpTools>>, idempotency: ReturnType<typeof createIdempotency>) {
  const node = new IdempotentToolNode(tools as never, { idempotency });
  return new StateGraph(MessagesAnnotation).addNode("tools", node).addEdge(START, "tools").compile();
}

const ask = new HumanMessage({ id: "h-1", content: "Book me 10:00" });
const callOf = (id: string, name = "book_calendar", args: Record<string, unknown> = { slot: "10:00" }) => new AIMessage({ content: "", tool_calls: [{ id, name, args }] });
const lastTool = (messages: BaseMessage[]) => messages.at(-1) as ToolMessage;
const engine = (extra: Partial<IdempotencyOptions> = {}) => createIdempotency({ store: new MemoryStore(), tools: { book_calendar: { identity: ["slot"] } }, onWarning: () => {}, ...extra });

describe.skipIf(!built)("idempotentMcpTools(): MCP tools under IdempotentToolNode and idempotencyMiddleware", () => {
  it("idempotentMcpTools(): the node's key reaches the server in tools/call _meta, never in the arguments; a repeat replays on the client", async () => {
    const s = await calendar();
    const tools = await idempotentMcpTools(s.connectMcp());
    const graph = graphOf(tools, engine());
    const config = { configurable: { thread_id: "t-1" } };

    const first = lastTool((await graph.invoke({ messages: [ask, callOf("c1")] }, config)).messages);
    const again = lastTool((await graph.invoke({ messages: [ask, callOf("c2")] }, config)).messages);

    const key = idempotencyOf(first).key;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(s.calls()).toEqual([{ tool: "book_calendar", meta: { [KEY]: key }, args: { slot: "10:00" }, session: null, pid: expect.any(Number) }]);
    expect(s.effects()).toMatchObject([{ key, source: "client" }]);
    expect(again.response_metadata.idempotency).toMatchObject({ key, replayed: true });
    expect(again.tool_call_id).toBe("c2");
  });

  it("idempotentMcpTools(): a call the client timed out on (the server finished it) is retried with the same key and the server replays it: one effect", async () => {
    const s = await calendar({ DELAY_MS: "400" }, { defaultToolTimeout: 150 });
    const tools = await idempotentMcpTools(s.connectMcp());
    const graph = graphOf(tools, engine());
    const config = { configurable: { thread_id: "t-timeout" } };

    const failed = lastTool((await graph.invoke({ messages: [ask, callOf("c1")] }, config)).messages);
    expect(failed.status).toBe("error");
    // The model retries once the server has finished; the client released its claim, so the call
    // goes out again, with the same key.
    await new Promise((r) => setTimeout(r, 1200));
    const retried = lastTool((await graph.invoke({ messages: [ask, callOf("c2")] }, config)).messages);

    expect(s.effects()).toHaveLength(1);
    const keys = s.calls().map((c) => c.meta?.[KEY]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(s.effects()[0]).toMatchObject({ key: keys[0], source: "client" });
    expect(retried.status).not.toBe("error");
    expect(JSON.stringify(retried.content)).toContain(`as ${s.effects()[0]!.id}`);
  });

  it("idempotentMcpTools(): a client that lost its own records (a fresh engine) derives the same key, and the server keeps the promise", async () => {
    const s = await calendar();
    const tools = await idempotentMcpTools(s.connectMcp());
    const config = { configurable: { thread_id: "t-forgot" } };
    await graphOf(tools, engine()).invoke({ messages: [ask, callOf("c1")] }, config);
    const out = lastTool((await graphOf(tools, engine()).invoke({ messages: [ask, callOf("c2")] }, config)).messages);

    expect(s.effects()).toHaveLength(1);
    expect(s.calls()).toHaveLength(2);
    const keys = s.calls().map((c) => c.meta?.[KEY]);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(s.effects()[0]).toMatchObject({ key: keys[0], source: "client" });
    expect(idempotencyOf(out).replayed).toBe(false); // the client ran it; the server replayed
    expect(JSON.stringify(out.content)).toContain(`as ${s.effects()[0]!.id}`);
  });

  it('mcpToolPolicies(): with guard: "all", the read-only tool runs unguarded (no key sent, runs each time); the others are guarded', async () => {
    const s = await calendar();
    const tools = await idempotentMcpTools(s.connectMcp());
    const audit = new MemoryAuditLog();
    const idempotency = createIdempotency({ store: new MemoryStore(), audit, defaults: { guard: "all" }, tools: mcpToolPolicies(tools), onWarning: () => {} });
    expect(mcpToolPolicies(tools)).toEqual({ list_slots: false });
    const graph = graphOf(tools, idempotency);
    const config = { configurable: { thread_id: "t-all" } };

    for (const id of ["l1", "l2"]) await graph.invoke({ messages: [ask, callOf(id, "list_slots", {})] }, config);
    for (const id of ["b1", "b2"]) await graph.invoke({ messages: [ask, callOf(id, "book_calendar", { slot: "11:00" })] }, config);

    const received = s.calls();
    expect(received.filter((c) => c.tool === "list_slots").map((c) => c.meta)).toEqual([null, null]);
    expect(received.filter((c) => c.tool === "book_calendar")).toHaveLength(1);
    expect(audit.entries.map((e) => `${e.action_type}:${e.outcome}`)).toEqual(["list_slots:unguarded", "list_slots:unguarded", "book_calendar:executed", "book_calendar:replayed"]);
  });

  it("idempotentMcpTools(): under createAgent's idempotencyMiddleware, a repeated MCP call replays and the server saw the key once", async () => {
    const s = await calendar();
    const tools = await idempotentMcpTools(s.connectMcp());
    const call = (id: string) => [{ name: "book_calendar", args: { slot: "10:00" }, id }];
    const model = fakeModel().respondWithTools(call("c1")).respondWithTools(call("c2")).respond(new AIMessage("Booked."));
    const agent = createAgent({ model, tools: tools as never, middleware: [idempotencyMiddleware({ idempotency: engine() })] });

    const out = await agent.invoke({ messages: [new HumanMessage("Book me 10:00")] }, { configurable: { thread_id: "t-agent" } });
    const answers = out.messages.filter((m: BaseMessage) => m.getType() === "tool") as ToolMessage[];

    expect(answers.map((m) => idempotencyOf(m).replayed)).toEqual([false, true]);
    expect(s.effects()).toHaveLength(1);
    expect(s.calls().map((c) => c.meta?.[KEY])).toEqual([idempotencyOf(answers[0]!).key]);
  });
});
