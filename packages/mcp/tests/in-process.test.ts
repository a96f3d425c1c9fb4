/**
 * Both sides in one process, over the SDK's InMemoryTransport (a real McpServer and Client, the
 * real protocol, no child process): the details of key forwarding, annotations and server options.
 */
import { describe, expect, it } from "vitest";
import { rejected } from "../../../test/support/rejected.js";
import { createIdempotency, IdempotencyPolicyError, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import type { IdempotencyOptions } from "@agent-idempotency/core";
import { getIdempotencyKey, IdempotentToolNode } from "@agent-idempotency/langgraph";
import { bindIdempotencyKey, forwardIdempotencyKey, MCP_IDEMPOTENCY_KEY_META, MCP_IDEMPOTENCY_REPLAYED_META, mcpServerIdempotency, mcpToolAnnotations, mcpToolPolicies } from "@agent-idempotency/mcp";
import type { McpServerIdempotencyOptions } from "@agent-idempotency/mcp";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import type { ToolMessage } from "@langchain/core/messages";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { tool } from "@langchain/core/tools";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { loadMcpTools } from "@langchain/mcp-adapters";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { IdempotencyMetadata } from "@agent-idempotency/langgraph";

/** What a guarded ToolMessage carries in `response_metadata.idempotency`. */
const idempotencyOf = (m: { response_metadata: Record<string, unknown> }) => m.response_metadata.idempotency as IdempotencyMetadata;

const KEY = MCP_IDEMPOTENCY_KEY_META;
const quiet = { onWarning: () => {} };

/** A server whose `book` tool counts its effects and records the `_meta` of every call. */
async function server(options: Partial<McpServerIdempotencyOptions> = {}, engine: Partial<IdempotencyOptions> = {}, clientId?: string) {
  const guard = mcpServerIdempotency({ idempotency: { store: new MemoryStore(), tools: { book: { identity: ["slot"] } }, ...quiet, ...engine }, ...quiet, ...options });
  const metas: (Record<string, unknown> | undefined)[] = [];
  const effects: string[] = [];
  const connectClient = async (asClient = clientId) => {
    const s = new McpServer({ name: "s", version: "1" });
    s.registerTool("book", { inputSchema: { slot: z.string() } }, (args, extra) => {
      metas.push(extra._meta);
      return guard.tool("book", async ({ slot }: { slot: string }, _e, { key }) => {
        effects.push(`${slot}:${key}`);
        return slot === "busy" ? { content: [{ type: "text" as const, text: "busy" }], isError: true } : { content: [{ type: "text" as const, text: `booked ${slot} #${effects.length}` }] };
      })(args, extra);
    });
    s.registerTool("look", { inputSchema: {}, annotations: { readOnlyHint: true } }, async (_a, extra) => (metas.push(extra._meta), { content: [{ type: "text", text: "free" }] }));
    s.registerTool("erase", { inputSchema: {}, annotations: { destructiveHint: true, idempotentHint: true } }, async () => ({ content: [{ type: "text", text: "erased" }] }));
    const [ct, st] = InMemoryTransport.createLinkedPair();
    if (asClient !== undefined) {
      const send = ct.send.bind(ct);
      ct.send = (m, o) => send(m, { ...o, authInfo: { clientId: asClient, token: "t", scopes: [] } });
    }
    await s.connect(st);
    const client = new Client({ name: "c", version: "1" });
    await client.connect(ct);
    return client;
  };
  return { guard, metas, effects, connectClient };
}

const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]!.text;

describe("forwardIdempotencyKey() and bindIdempotencyKey()", () => {
  it("forwardIdempotencyKey(): a plain tool() that calls client.callTool itself forwards the node's key (LangChain's async context)", async () => {
    const s = await server();
    const client = forwardIdempotencyKey(await s.connectClient());
    const book = tool(async ({ slot }) => text(await client.callTool({ name: "book", arguments: { slot } })), { name: "book", description: "book", schema: z.object({ slot: z.string() }) });
    const node = new IdempotentToolNode([book], { idempotency: { store: new MemoryStore(), tools: { book: { identity: ["slot"] } }, ...quiet } });
    const graph = new StateGraph(MessagesAnnotation).addNode("tools", node).addEdge(START, "tools").compile();
    const out = await graph.invoke({ messages: [new HumanMessage({ id: "h", content: "book" }), new AIMessage({ content: "", tool_calls: [{ id: "c1", name: "book", args: { slot: "10" } }] })] }, { configurable: { thread_id: "t" } });

    const key = idempotencyOf(out.messages.at(-1) as ToolMessage).key;
    expect(s.metas).toEqual([{ [KEY]: key }]);
    expect(s.effects).toEqual([`10:${key}`]);
  });

  it("forwardIdempotencyKey(): outside a guarded call nothing is added; a _meta entry the caller set is kept; installing twice wraps once", async () => {
    const s = await server();
    const client = forwardIdempotencyKey(forwardIdempotencyKey(await s.connectClient()));
    await client.callTool({ name: "book", arguments: { slot: "1" } });
    await client.callTool({ name: "book", arguments: { slot: "2" }, _meta: { [KEY]: "mine" } });

    expect(s.metas).toEqual([undefined, { [KEY]: "mine" }]);
    expect(Object.keys(client)).not.toContain("callTool"); // not enumerable: the client prints as before
  });

  it("bindIdempotencyKey(): an MCP tool run with no key of its own sends none, even inside a guarded call's async context; binding twice binds once", async () => {
    const s = await server();
    const client = forwardIdempotencyKey(await s.connectClient());
    const tools = bindIdempotencyKey(await loadMcpTools("s", client as never));
    const book = tools.find((t) => t.name === "book")! as unknown as { func: unknown; invoke(args: unknown, config?: unknown): Promise<unknown> };
    const bound = book.func;
    bindIdempotencyKey(tools);
    expect(book.func).toBe(bound);

    // The config a guarded call hands its tool carries the key; that is what gets forwarded.
    const guarded = { configurable: { __agent_idempotency: { key: "outer-key", attempt: 1 } } };
    await book.invoke({ slot: "9" }, guarded);
    // An unguarded MCP tool run from inside that guarded run, as the node runs unguarded tools
    // (their config says "no key"): LangChain's async context still holds the outer config, which
    // the client would read without the binding; none may leak.
    const unguarded = { configurable: { __agent_idempotency: undefined } };
    await AsyncLocalStorageProviderSingleton.runWithConfig(guarded, () => book.invoke({ slot: "9" }, unguarded));
    expect(s.metas).toEqual([{ [KEY]: "outer-key" }, undefined]);
    expect(getIdempotencyKey(guarded)).toBe("outer-key");
  });

  it("forwardIdempotencyKey({ metaKey }): another name, checked against MCP's rules at start-up; the server reads it with metaKeys", async () => {
    const s = await server({ metaKeys: ["com.example/idem", KEY] });
    const client = forwardIdempotencyKey(await s.connectClient(), { metaKey: "com.example/idem" });
    const [book] = bindIdempotencyKey(await loadMcpTools("s", client as never)).filter((t) => t.name === "book");
    const config = { configurable: { __agent_idempotency: { key: "k-7", attempt: 1 } } };
    await book!.invoke({ slot: "7" }, config);
    await book!.invoke({ slot: "7" }, config);

    expect(s.metas).toEqual([{ "com.example/idem": "k-7" }, { "com.example/idem": "k-7" }]);
    expect(s.effects).toEqual(["7:k-7"]);
    for (const bad of ["io.modelcontextprotocol/key", "dev.mcp/key", "-bad/key", "a b", ""]) {
      expect(() => forwardIdempotencyKey({ callTool: async () => ({}) }, { metaKey: bad })).toThrow(IdempotencyPolicyError);
    }
    expect(() => forwardIdempotencyKey({ callTool: async () => ({}) }, { metaKey: "com.example.mcp/key" })).not.toThrow();
  });
});

describe("mcpToolPolicies()", () => {
  it("mcpToolPolicies(): only readOnlyHint tools are left unguarded; idempotentHint and destructiveHint change nothing; a listed policy wins", async () => {
    const s = await server();
    const tools = await loadMcpTools("s", (await s.connectClient()) as never);
    expect(mcpToolAnnotations(tools.find((t) => t.name === "erase"))).toEqual({ destructiveHint: true, idempotentHint: true });
    expect(mcpToolPolicies(tools)).toEqual({ look: false });

    const engine = createIdempotency({ store: new MemoryStore(), defaults: { guard: "all" }, tools: { ...mcpToolPolicies(tools) }, ...quiet });
    expect(["look", "book", "erase"].map((n) => engine.policy(n) !== undefined)).toEqual([false, true, true]);
    const listed = createIdempotency({ store: new MemoryStore(), defaults: { guard: "all" }, tools: { ...mcpToolPolicies(tools), look: {} }, ...quiet });
    expect(listed.policy("look")).toBeDefined();
    expect(mcpToolPolicies(tools, { unguarded: () => false })).toEqual({});
    expect(mcpToolPolicies(tools, { unguarded: (a) => a.readOnlyHint === true || a.idempotentHint === true })).toEqual({ look: false, erase: false });
  });
});

describe("mcpServerIdempotency()", () => {
  it("mcpServerIdempotency(): misconfiguration fails at start-up with IdempotencyPolicyError naming the fix", () => {
    const idempotency = { store: new MemoryStore(), tools: { book: {} }, ...quiet };
    const handler = async () => ({ content: [] });
    expect(() => mcpServerIdempotency({} as never)).toThrow(/needs \{ idempotency \}/);
    expect(() => mcpServerIdempotency({ idempotency }).tool("other", handler)).toThrow(/list it in tools \(\{ other: \{\} \}\) or set defaults: \{ guard: "all" \}/);
    expect(() => mcpServerIdempotency({ idempotency, metaKeys: [] })).toThrow(/name at least one _meta entry/);
    expect(() => mcpServerIdempotency({ idempotency, metaKeys: ["io.modelcontextprotocol/key"] })).toThrow(/reserved for MCP itself/);
    expect(() => mcpServerIdempotency({ idempotency, onMissingKey: "skip" as never })).toThrow(/"derive", "error" or "run"/);
    expect(() => mcpServerIdempotency({ idempotency, keyPrefix: "has space" })).toThrow(/keyPrefix/);
    expect(() => mcpServerIdempotency({ idempotency, scope: "alice" as never })).toThrow(/scope/);
    for (const make of [() => mcpServerIdempotency({} as never), () => mcpServerIdempotency({ idempotency }).tool("other", handler)]) {
      expect(make).toThrow(IdempotencyPolicyError);
    }
  });

  it("mcpServerIdempotency(): unknown options, bad values and the engine's problems come in one error, with a did-you-mean", () => {
    const e = rejected(() =>
      mcpServerIdempotency({ idempotency: { store: new MemoryStore(), tools: { book: { identty: ["slot"] } } }, onMissingkey: "error", keyPrefix: "a b", ...quiet } as never),
    ) as IdempotencyPolicyError;
    expect(e).toBeInstanceOf(IdempotencyPolicyError);
    expect(e.problems).toEqual([
      'options: unknown field "onMissingkey" (did you mean "onMissingKey"?)',
      'idempotency.tools.book: unknown field "identty" (did you mean "identity"?)',
      'mcpServerIdempotency({ keyPrefix }) must be at most 40 printable ASCII characters without spaces, got "a b"',
    ]);
  });

  it("tool(): a misspelt tool name gets the name it probably meant", () => {
    const guard = mcpServerIdempotency({ idempotency: { store: new MemoryStore(), tools: { book_calendar: { identity: ["slot"] } }, ...quiet } });
    expect(() => guard.tool("book_calender", async () => ({ content: [] }))).toThrow(/tool\("book_calender"\) has no policy in the engine \(did you mean "book_calendar"\?\)/);
  });

  it("tool(): keys are scoped to the authenticated client: the same key from another client is refused, never replayed", async () => {
    const s = await server({ resultMeta: true });
    const alice = await s.connectClient("alice");
    const bob = await s.connectClient("bob");
    const call = (c: Client) => c.callTool({ name: "book", arguments: { slot: "10" }, _meta: { [KEY]: "shared-key" } });
    await call(alice);
    const refused = await call(bob);
    const replay = await call(alice);

    expect(s.effects).toEqual(["10:shared-key"]);
    expect(refused.isError).toBe(true);
    expect(replay._meta?.[MCP_IDEMPOTENCY_REPLAYED_META]).toBe(true);
  });

  it("tool(): with cacheErrors an isError result is recorded and replayed as the same result, marked replayed, without running", async () => {
    const s = await server({ resultMeta: true }, { tools: { book: { identity: ["slot"], cacheErrors: true } } });
    const client = await s.connectClient();
    const first = await client.callTool({ name: "book", arguments: { slot: "busy" }, _meta: { [KEY]: "k-busy" } });
    const again = await client.callTool({ name: "book", arguments: { slot: "busy" }, _meta: { [KEY]: "k-busy" } });

    expect(s.effects).toHaveLength(1);
    expect([first.isError, again.isError]).toEqual([true, true]);
    expect(text(again)).toBe("busy");
    expect([first._meta?.[MCP_IDEMPOTENCY_REPLAYED_META], again._meta?.[MCP_IDEMPOTENCY_REPLAYED_META]]).toEqual([false, true]);
  });

  it('tool(): onMissingKey "run" runs a keyless call unguarded every time; by default results stay as the handler made them', async () => {
    const audit = new MemoryAuditLog();
    const s = await server({ onMissingKey: "run" }, { audit });
    const client = await s.connectClient();
    await client.callTool({ name: "book", arguments: { slot: "1" } });
    const plain = await client.callTool({ name: "book", arguments: { slot: "1" } });
    await client.callTool({ name: "book", arguments: { slot: "2" }, _meta: { [KEY]: "k-2" } });
    await client.callTool({ name: "book", arguments: { slot: "2" }, _meta: { [KEY]: "k-2" } });

    expect(s.effects).toEqual(["1:undefined", "1:undefined", "2:k-2"]);
    expect(plain._meta).toBeUndefined();
    expect(audit.entries.map((e) => `${e.idempotency_key}:${e.outcome}`)).toEqual(["mcp:k-2:executed", "mcp:k-2:replayed"]);
  });

  it("tool(): a key derived on an HTTP-like session without a client identity warns once, naming the fix", async () => {
    const warnings: string[] = [];
    const guard = mcpServerIdempotency({ idempotency: { store: new MemoryStore(), tools: { book: {} }, ...quiet }, onWarning: (m) => warnings.push(m) });
    let effects = 0;
    const book = guard.tool("book", async () => (effects++, { content: [] }));
    const extra = { sessionId: "session-1", signal: new AbortController().signal, requestId: 1 };
    await book({ slot: "1" }, extra);
    await book({ slot: "1" }, { ...extra, sessionId: "session-2" }); // the client reconnected: same derived key

    expect(effects).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no client identity.*pass scope/);
  });
});
