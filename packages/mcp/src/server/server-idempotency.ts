/**
 * `mcpServerIdempotency(options).tool(name, handler)`: an MCP server's tool handler (for
 * `McpServer.registerTool` of `@modelcontextprotocol/sdk` 1.x) that claims, replays and audits
 * every call with the engine from core, whichever client calls it.
 *
 * Per `tools/call`:
 * 1. the key is the one the client sent in `_meta` (`io.agent-idempotency/key` by default), stored
 *    as `mcp:` + key so records of the server never meet the client's own in a shared store; or,
 *    when the client sent none, derived from the tool's policy (identity fields of the validated
 *    arguments) and the caller's scope (`onMissingKey`);
 * 2. the scope is the caller (`authInfo.clientId`) or one shared scope: never the MCP session,
 *    which a reconnecting client (the retry that matters) does not keep;
 * 3. the engine claims the key and runs the handler, which gets the key to forward upstream; a
 *    result with `isError: true` is a failure (released, or recorded with `cacheErrors`);
 * 4. a retry, or a concurrent duplicate (it waits for the first), gets the recorded result back
 *    (with `_meta["io.agent-idempotency/replayed"]: true` when `resultMeta` is on).
 */
import type { Idempotency, IdempotencyOptions, IdempotencyRecordedError } from "@agent-idempotency/core";
import { createIdempotency, IdempotencyKeyError, IdempotencyPolicyError, isIdempotencyError } from "@agent-idempotency/core";
import { didYouMean, unknownFieldProblems } from "@agent-idempotency/core/internal";
import { checkMetaKeyName, MCP_IDEMPOTENCY_KEY_META, MCP_IDEMPOTENCY_REPLAYED_META } from "../meta-key.js";
import { isToolErrorResult, recordedErrorResult, toolErrorResult } from "./tool-error-result.js";

/**
 * What the helper reads of the SDK's `RequestHandlerExtra` (structural, so a server that does not
 * use this part of the SDK needs no type from it).
 */
export interface McpRequestExtra {
  /** The request's `_meta`, where the key arrives. */
  _meta?: Record<string, unknown> | undefined;
  /** The transport's session (Streamable HTTP); logged, never part of the key. */
  sessionId?: string | undefined;
  /** The validated access token, when the server authenticates its clients. */
  authInfo?: { clientId?: string | undefined } | undefined;
  /** Aborted when the client cancels the request. */
  signal?: AbortSignal | undefined;
  /** The JSON-RPC id; logged as the audit entry's `tool_call_id`. */
  requestId?: string | number | undefined;
}

/** What a tool handler returns: an MCP `CallToolResult`. */
export interface McpToolResult {
  /** The result's content blocks, recorded and replayed as they are. */
  content?: unknown;
  /** True for a failed call: its claim is released (or the failure recorded, with `cacheErrors`) rather than the result recorded. */
  isError?: boolean | undefined;
  /** The result's metadata; with `resultMeta` on, the helper adds the key and whether this answer is a replay. */
  _meta?: Record<string, unknown> | undefined;
}

/** What the handler is told about its call, beside the SDK's own `extra`. */
export interface McpToolCallContext {
  /** The key: the client's (forward it upstream as is) or the derived one. Undefined with `onMissingKey: "run"`. */
  key: string | undefined;
  /** Where the key came from. */
  source: "client" | "derived" | "none";
  /** 1, or more after take-overs of a dead claim. */
  attempt: number;
  /** Aborted when the client cancels or the claim's lease is lost. */
  signal: AbortSignal;
}

/** Options of {@link mcpServerIdempotency}. */
export interface McpServerIdempotencyOptions {
  /** An engine from `createIdempotency`, or its options. Every wrapped tool needs a policy in it. */
  idempotency: Idempotency | IdempotencyOptions;
  /** The `_meta` entries a client's key is read from, first found wins. Default: `["io.agent-idempotency/key"]`. */
  metaKeys?: readonly string[] | undefined;
  /** A call without a key: derive one from the arguments (default), refuse it, or run it unguarded. */
  onMissingKey?: "derive" | "error" | "run" | undefined;
  /**
   * What keeps callers apart: a record is replayed only into the scope that wrote it. Default: the
   * authenticated client (`extra.authInfo.clientId`), else `"mcp"` (one scope for every caller).
   */
  scope?: ((extra: McpRequestExtra) => string) | undefined;
  /**
   * Put the key and `replayed` in every result's `_meta`, for clients that read it. Default false:
   * `@langchain/mcp-adapters` 1.x turns a text result that has `_meta` into a JSON content block,
   * so the model would read the bookkeeping instead of the text.
   */
  resultMeta?: boolean | undefined;
  /** Prefix of the stored key for a client's key. Default `"mcp:"`. */
  keyPrefix?: string | undefined;
  /** Configuration hints (keys derived without a client identity). Default: `console.warn`. */
  onWarning?: ((message: string) => void) | undefined;
}

/** What {@link mcpServerIdempotency} returns. */
export interface McpServerIdempotency {
  /** The engine. */
  readonly idempotency: Idempotency;
  /**
   * The guarded handler of tool `name`, for `server.registerTool(name, config, handler)`. Throws
   * {@link IdempotencyPolicyError} now when the engine has no policy for `name`.
   */
  tool<A, E extends McpRequestExtra, R extends McpToolResult>(name: string, handler: (args: A, extra: E, call: McpToolCallContext) => R | Promise<R>): (args: A, extra: E) => Promise<R>;
}

/** The fields of {@link McpServerIdempotencyOptions}; any other fails at start-up with a "did you mean". */
const MCP_SERVER_IDEMPOTENCY_OPTION_FIELDS: readonly (keyof McpServerIdempotencyOptions)[] = [
  "idempotency",
  "metaKeys",
  "onMissingKey",
  "scope",
  "resultMeta",
  "keyPrefix",
  "onWarning",
];

const PRINTABLE = /^[\x21-\x7e]+$/;
const MAX_KEY = 200;

function isEngine(x: Idempotency | IdempotencyOptions): x is Idempotency {
  return typeof (x as Idempotency).run === "function" && typeof (x as Idempotency).policy === "function";
}

/**
 * Every option of {@link mcpServerIdempotency} checked at once: unknown fields (`onMissingkey`),
 * values out of range, and the engine's own problems, all in one {@link IdempotencyPolicyError}.
 */
function checkedOptions(options: McpServerIdempotencyOptions) {
  const who = "mcpServerIdempotency";
  if (typeof options !== "object" || options === null || options.idempotency === undefined || options.idempotency === null || typeof options.idempotency !== "object") {
    throw new IdempotencyPolicyError("[mcp] mcpServerIdempotency needs { idempotency }: an engine from createIdempotency, or its options", { subject: who });
  }
  const problems = unknownFieldProblems("options", options, MCP_SERVER_IDEMPOTENCY_OPTION_FIELDS);
  const collect = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (!isIdempotencyError(e, "POLICY_INVALID")) throw e;
      problems.push(...(e as IdempotencyPolicyError).problems.map((p) => p.replace(/^\[mcp\] /, "")));
      return undefined;
    }
  };
  let engine: Idempotency | undefined;
  if (isEngine(options.idempotency)) engine = options.idempotency;
  else {
    try {
      engine = createIdempotency(options.idempotency);
    } catch (e) {
      if (!isIdempotencyError(e, "POLICY_INVALID")) throw e;
      problems.push(...(e as IdempotencyPolicyError).problems.map((p) => (p.startsWith("options: ") ? `idempotency: ${p.slice(9)}` : `idempotency.${p}`)));
    }
  }
  const metaKeys = (options.metaKeys ?? [MCP_IDEMPOTENCY_KEY_META]).map((k) => collect(() => checkMetaKeyName(k, "mcpServerIdempotency({ metaKeys })")) ?? "");
  if (metaKeys.length === 0) problems.push(`mcpServerIdempotency({ metaKeys }) is empty; name at least one _meta entry, such as "${MCP_IDEMPOTENCY_KEY_META}"`);
  const onMissingKey = options.onMissingKey ?? "derive";
  if (!["derive", "error", "run"].includes(onMissingKey)) {
    problems.push(`mcpServerIdempotency({ onMissingKey }) must be "derive", "error" or "run", got ${JSON.stringify(onMissingKey)}`);
  }
  const prefix = options.keyPrefix ?? "mcp:";
  if (typeof prefix !== "string" || prefix.length > 40 || (prefix !== "" && !PRINTABLE.test(prefix))) {
    problems.push(`mcpServerIdempotency({ keyPrefix }) must be at most 40 printable ASCII characters without spaces, got ${JSON.stringify(prefix)}`);
  }
  if (options.scope !== undefined && typeof options.scope !== "function") {
    problems.push("mcpServerIdempotency({ scope }) must be a function of the request's extra, returning a string");
  }
  if (options.onWarning !== undefined && typeof options.onWarning !== "function") problems.push("mcpServerIdempotency({ onWarning }) must be a function");
  if (problems.length > 0 || engine === undefined) throw new IdempotencyPolicyError(problems, { subject: who });
  return { engine, metaKeys, onMissingKey, prefix };
}

/**
 * Guards the tools of an MCP server built with `@modelcontextprotocol/sdk`: each call claims the
 * key its client sent in `_meta` (or one derived from its arguments), runs once, and every retry
 * or concurrent duplicate gets the recorded result, across restarts with a persistent store.
 *
 * @example
 * ```ts
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
 * import { SqliteStore } from "@agent-idempotency/store-sqlite";
 * import { mcpServerIdempotency } from "@agent-idempotency/mcp/server";
 * import { z } from "zod";
 *
 * const guard = mcpServerIdempotency({
 *   idempotency: { store: new SqliteStore({ path: "./mcp-idempotency.db" }), tools: { book_calendar: { identity: ["slot"] } } },
 * });
 * const server = new McpServer({ name: "calendar", version: "1.0.0" });
 * server.registerTool(
 *   "book_calendar",
 *   { description: "Book a slot", inputSchema: { slot: z.string() }, annotations: { idempotentHint: true } },
 *   guard.tool("book_calendar", async ({ slot }, _extra, { key }) => {
 *     const booking = await calendar.book(slot, { idempotencyKey: key });
 *     return { content: [{ type: "text", text: `booked ${slot}: ${booking.id}` }] };
 *   }),
 * );
 * await server.connect(new StdioServerTransport());
 * ```
 */
export function mcpServerIdempotency(options: McpServerIdempotencyOptions): McpServerIdempotency {
  const { engine, metaKeys, onMissingKey, prefix } = checkedOptions(options);
  const scopeOf = options.scope ?? ((extra: McpRequestExtra) => extra.authInfo?.clientId ?? "mcp");
  const resultMeta = options.resultMeta ?? false;
  const warn = options.onWarning ?? ((m: string) => console.warn(`[agent-idempotency] ${m}`));
  const warned = new Set<string>();

  /** The client's key from `_meta`, or undefined; malformed keys are refused, never ignored. */
  function clientKey(action: string, meta: Record<string, unknown> | undefined): string | undefined {
    for (const name of metaKeys) {
      const value = meta?.[name];
      if (value === undefined || value === null) continue;
      if (typeof value !== "string" || value.length > MAX_KEY - prefix.length || !PRINTABLE.test(value)) {
        throw new IdempotencyKeyError(`${action}: the key in _meta["${name}"] must be 1 to ${MAX_KEY - prefix.length} printable ASCII characters without spaces`);
      }
      return value;
    }
    return undefined;
  }

  function annotate<R extends McpToolResult>(result: R, key: string | undefined, replayed: boolean): R {
    if (!resultMeta || key === undefined || typeof result !== "object" || result === null) return result;
    return { ...result, _meta: { ...result._meta, [MCP_IDEMPOTENCY_KEY_META]: key, [MCP_IDEMPOTENCY_REPLAYED_META]: replayed } };
  }

  return {
    idempotency: engine,
    tool<A, E extends McpRequestExtra, R extends McpToolResult>(name: string, handler: (args: A, extra: E, call: McpToolCallContext) => R | Promise<R>) {
      if (typeof name !== "string" || name === "") throw new IdempotencyPolicyError("[mcp] tool(name, handler): name must be the tool's name");
      if (typeof handler !== "function") throw new IdempotencyPolicyError(`[mcp] tool("${name}", handler): handler must be a function`);
      if (engine.policy(name) === undefined) {
        const listed = Object.keys(engine.policies.tools ?? {});
        throw new IdempotencyPolicyError(
          `[mcp] tool("${name}") has no policy in the engine${didYouMean(name, listed)}, so it would never be guarded: ` +
            `fix the name, list it in tools ({ ${name}: {} }) or set defaults: { guard: "all" }`,
        );
      }
      return async function guarded(...input: unknown[]): Promise<R> {
        // registerTool calls handler(args, extra), or handler(extra) for a tool without inputSchema.
        const [args, extra] = (input.length >= 2 ? input : [undefined, input[0]]) as [A, E];
        const sent = clientKey(name, extra?._meta);
        const signal = extra?.signal ?? new AbortController().signal;
        if (sent === undefined && onMissingKey !== "derive") {
          if (onMissingKey === "error") {
            throw new IdempotencyKeyError(`${name}: this server requires an idempotency key in _meta["${metaKeys[0]}"]`);
          }
          return handler(args, extra, { key: undefined, source: "none", attempt: 1, signal });
        }
        const scope = scopeOf(extra ?? {});
        if (typeof scope !== "string" || scope === "") throw new IdempotencyPolicyError(`[mcp] the scope function of mcpServerIdempotency returned ${JSON.stringify(scope)}; it must return a non-empty string`);
        if (sent === undefined && extra?.sessionId !== undefined && extra.authInfo?.clientId === undefined && options.scope === undefined && !warned.has(name)) {
          warned.add(name);
          warn(`[mcp] ${name}: keys derived with no client identity (no authInfo): calls from different clients with the same arguments share one key; pass scope, or have clients send a key in _meta`);
        }
        const call = {
          action: name,
          args: args ?? {},
          key: sent === undefined ? undefined : prefix + sent,
          scope,
          sessionId: extra?.sessionId ?? scope,
          toolCallId: extra?.requestId === undefined ? undefined : String(extra.requestId),
          signal,
        };
        let shown: string | undefined = sent;
        try {
          const out = await engine.run(call, async ({ key, attempt, signal: leaseSignal }) => {
            shown = sent ?? key;
            const result = await handler(args, extra, { key: shown, source: sent === undefined ? "derived" : "client", attempt, signal: leaseSignal });
            if (result?.isError === true) throw toolErrorResult(result, name);
            return result;
          });
          shown = sent ?? out.key;
          return annotate(out.value, shown, out.replayed);
        } catch (error) {
          if (isToolErrorResult(error)) return annotate(error.data as R, shown, false);
          if (isIdempotencyError(error, "RECORDED_ERROR")) {
            const e = error as IdempotencyRecordedError;
            const recorded = recordedErrorResult(e.recorded);
            if (recorded !== undefined) return annotate(recorded as R, sent ?? e.key, true);
          }
          // The handler's own error, or the engine's (still in progress, store down): the SDK
          // answers it as an isError result with the message, which never holds arguments.
          throw error;
        }
      } as (args: A, extra: E) => Promise<R>;
    },
  };
}
