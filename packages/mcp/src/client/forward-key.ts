/**
 * How the key of a guarded MCP tool call reaches the server: in the `tools/call` request's
 * `_meta`, never in the arguments the model wrote.
 *
 * `@langchain/mcp-adapters` 1.x turns each MCP tool into a `DynamicStructuredTool` whose `func`
 * calls `client.callTool({ name, arguments })` on the SDK `Client`. Its hooks (`beforeToolCall`)
 * can change the arguments and the HTTP headers, not `_meta`, and the SDK's request options have
 * no `_meta` either. So two small seams, both on objects the user hands us:
 *
 * 1. each tool's `func` runs inside an AsyncLocalStorage context holding the key from its run config
 *    (`getIdempotencyKey(config)`: the node and the middleware put it there), or explicitly none for
 *    an unguarded call, so an outer guarded call's key never leaks into it;
 * 2. the SDK client's `callTool` (an own property of that one instance, the prototype untouched)
 *    copies that key into `params._meta`. With no context of ours (a `tool()` of the user's that
 *    calls `client.callTool` itself), it reads LangChain's run config from AsyncLocalStorage instead.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { getIdempotencyKey } from "@agent-idempotency/langgraph";
import { checkMetaKeyName, MCP_IDEMPOTENCY_KEY_META } from "../meta-key.js";

/** The part of the SDK `Client` (or anything shaped like it) that sends `tools/call`. */
export interface CallToolClient {
  /** Sends `tools/call`; {@link forwardIdempotencyKey} replaces it on the instance to add the key to `params._meta`. */
  callTool(params: { name: string; arguments?: Record<string, unknown> | undefined; _meta?: Record<string, unknown> | undefined }, ...rest: any[]): Promise<unknown>;
}

/** Options of {@link forwardIdempotencyKey}. */
export interface ForwardKeyOptions {
  /** The `_meta` entry the key goes in. Default {@link MCP_IDEMPOTENCY_KEY_META}; a valid MCP `_meta` name. */
  metaKey?: string | undefined;
}

const running = new AsyncLocalStorage<{ key: string | undefined }>();
const INSTALLED = Symbol.for("agent-idempotency.mcp.forward-key");
const BOUND = Symbol.for("agent-idempotency.mcp.bound-func");

/** The key of the guarded call running here, or undefined. */
function currentKey(): string | undefined {
  const ctx = running.getStore();
  return ctx !== undefined ? ctx.key : getIdempotencyKey();
}

/**
 * Makes `client` send the running guarded call's key in every `tools/call` request's `_meta`
 * (under `io.agent-idempotency/key` by default). Calls outside a guarded tool call, and unguarded
 * ones, go out unchanged; a `_meta` entry the caller set itself is kept. Installs once per client
 * (a later call only changes the name) and returns the same client, for
 * `loadMcpTools(name, forwardIdempotencyKey(client))`.
 *
 * @example
 * ```ts
 * import { Client } from "@modelcontextprotocol/sdk/client/index.js";
 * import { loadMcpTools } from "@langchain/mcp-adapters";
 * import { bindIdempotencyKey, forwardIdempotencyKey } from "@agent-idempotency/mcp";
 *
 * const client = new Client({ name: "agent", version: "1.0.0" });
 * await client.connect(transport);
 * const tools = bindIdempotencyKey(await loadMcpTools("calendar", forwardIdempotencyKey(client)));
 * ```
 */
export function forwardIdempotencyKey<C extends CallToolClient>(client: C, options: ForwardKeyOptions = {}): C {
  const metaKey = checkMetaKeyName(options.metaKey ?? MCP_IDEMPOTENCY_KEY_META, "forwardIdempotencyKey({ metaKey })");
  const target = client as C & { [INSTALLED]?: { metaKey: string } };
  const installed = target[INSTALLED];
  if (installed !== undefined) {
    installed.metaKey = metaKey;
    return client;
  }
  const state = { metaKey };
  const callTool = client.callTool;
  // `this` is whatever the caller called through (mcp-adapters calls through a Proxy of the client).
  const forwarding: CallToolClient["callTool"] = function (this: unknown, params, ...rest) {
    const key = currentKey();
    const sent = key === undefined || params._meta?.[state.metaKey] !== undefined ? params : { ...params, _meta: { ...params._meta, [state.metaKey]: key } };
    return callTool.call(this, sent, ...rest);
  };
  Object.defineProperty(client, "callTool", { value: forwarding, configurable: true, writable: true, enumerable: false });
  Object.defineProperty(client, INSTALLED, { value: state, configurable: true, enumerable: false });
  return client;
}

/** What {@link bindIdempotencyKey} needs of a tool: mcp-adapters' `DynamicStructuredTool` has it. */
type FuncTool = { func?: unknown };
type ToolFunc = (args: unknown, runManager: unknown, config: unknown) => unknown;

/**
 * Makes each MCP tool (a `DynamicStructuredTool` from `@langchain/mcp-adapters`) run its call with
 * its own key in reach of a client that {@link forwardIdempotencyKey} installed on: the key the node
 * or middleware gave this call, or none. Changes the tools in place (their `func`) and returns the
 * same array, so the tools keep their name, schema, metadata and identity. Tools without a `func`
 * are left alone. Idempotent.
 */
export function bindIdempotencyKey<T extends readonly unknown[]>(tools: T): T {
  for (const tool of tools as readonly FuncTool[]) {
    const func = tool?.func as (ToolFunc & { [BOUND]?: true }) | undefined;
    if (typeof func !== "function" || func[BOUND]) continue;
    const bound = function (this: unknown, args: unknown, runManager: unknown, config: unknown) {
      return running.run({ key: getIdempotencyKey(config) }, () => func.call(this, args, runManager, config));
    };
    Object.defineProperty(bound, BOUND, { value: true });
    tool.func = bound;
  }
  return tools;
}
