/**
 * `idempotentMcpTools(mcp)`: the tools of a `MultiServerMCPClient`, loaded as it loads them (its
 * per-server options, hooks and prefixes apply), with the key forwarding of `forward-key.ts`
 * installed on every server's client.
 */
import type { CallToolClient, ForwardKeyOptions } from "./forward-key.js";
import { bindIdempotencyKey, forwardIdempotencyKey } from "./forward-key.js";

/**
 * What {@link idempotentMcpTools} uses of `MultiServerMCPClient` from `@langchain/mcp-adapters`
 * (structural, so this package needs no runtime import of it).
 */
export interface McpToolSource<Tool> {
  /** The tools of the named servers (every server when none is named), loaded with the client's own options. */
  getTools(...servers: string[]): Promise<Tool[]>;
  /** The SDK client connected to `serverName`; undefined for a server that failed to connect (`onConnectionError: "ignore"`). */
  getClient(serverName: string): Promise<CallToolClient | undefined>;
  /** The client's configuration; its `mcpServers` names are the servers whose clients get the key forwarding. */
  readonly config: { mcpServers: Record<string, unknown> };
}

/** Options of {@link idempotentMcpTools}. */
export interface IdempotentMcpToolsOptions extends ForwardKeyOptions {
  /** Load the tools of these servers only (names from the client's `mcpServers`). Default: all. */
  servers?: readonly string[] | undefined;
}

/**
 * Loads the tools of `mcp` (a `MultiServerMCPClient`) and makes every guarded call of one send its
 * idempotency key to the server in the `tools/call` request's `_meta`. Guard them as any other
 * tool: `IdempotentToolNode` or `idempotencyMiddleware`, with policies by tool name; see
 * {@link mcpToolPolicies} to leave the tools their server annotates read-only unguarded.
 *
 * @example
 * ```ts
 * import { MultiServerMCPClient } from "@langchain/mcp-adapters";
 * import { idempotentMcpTools, mcpToolPolicies } from "@agent-idempotency/mcp";
 * import { IdempotentToolNode } from "@agent-idempotency/langgraph";
 *
 * const mcp = new MultiServerMCPClient({ mcpServers: { calendar: { command: "node", args: ["server.mjs"] } } });
 * const tools = await idempotentMcpTools(mcp);
 * const node = new IdempotentToolNode(tools, {
 *   idempotency: { store, defaults: { guard: "all" }, tools: { ...mcpToolPolicies(tools), book_calendar: { identity: ["slot"] } } },
 * });
 * ```
 */
export async function idempotentMcpTools<Tool>(mcp: McpToolSource<Tool>, options: IdempotentMcpToolsOptions = {}): Promise<Tool[]> {
  const servers = options.servers === undefined ? undefined : [...options.servers];
  const tools = servers === undefined ? await mcp.getTools() : await mcp.getTools(...servers);
  for (const name of servers ?? Object.keys(mcp.config.mcpServers)) {
    // undefined: a server that failed to connect under `onConnectionError: "ignore"`; it has no tools.
    const client = await mcp.getClient(name);
    if (client !== undefined) forwardIdempotencyKey(client, options);
  }
  return bindIdempotencyKey(tools);
}
