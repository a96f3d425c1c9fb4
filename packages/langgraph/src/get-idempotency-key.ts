/**
 * How a tool learns its key: the node puts it into the config it runs the tool with, under one
 * namespaced `configurable` entry. `configurable` survives every hop a tool call takes
 * (`tool.invoke` → `StructuredTool.call` → `patchConfig` → the tool function's second argument,
 * and the AsyncLocalStorage config), for `tool()` functions and `StructuredTool` classes alike.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";

/**
 * The `configurable` entry the node (and the langchain middleware) writes the key to.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export const CONFIG_KEY = "__agent_idempotency";

/**
 * What the node tells a guarded tool: its key and attempt.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export interface ToolIdempotency {
  key: string;
  attempt: number;
}

interface ConfigLike {
  configurable?: Record<string, unknown> | undefined;
  /** A `ToolRuntime` nests the config it came from. */
  config?: { configurable?: Record<string, unknown> | undefined } | undefined;
}

function entryOf(config: unknown): ToolIdempotency | undefined {
  const c = config as ConfigLike | undefined;
  const entry = (c?.configurable?.[CONFIG_KEY] ?? c?.config?.configurable?.[CONFIG_KEY]) as ToolIdempotency | undefined;
  return typeof entry?.key === "string" ? entry : undefined;
}

/**
 * The tool call the engine is running in this async context: its entry, or `none` for a call the
 * engine runs unguarded (so a tool nested in a guarded one's run does not see the outer key).
 * LangChain's own async-local config is not enough: a `StructuredTool` subclass's `_call` runs
 * in the caller's context, whose config never carried the key.
 */
const current = new AsyncLocalStorage<{ entry: ToolIdempotency | undefined }>();

/**
 * Runs `fn` with `entry` as the key `getIdempotencyKey()` finds without arguments, anywhere in
 * the async work `fn` starts.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function runWithToolIdempotency<T>(entry: ToolIdempotency | undefined, fn: () => T): T {
  return current.run({ entry }, fn);
}

function saysNone(config: unknown): boolean {
  const c = config as ConfigLike;
  return (c.configurable !== undefined && CONFIG_KEY in c.configurable) || (c.config?.configurable !== undefined && CONFIG_KEY in c.config.configurable);
}

/**
 * The idempotency key of the guarded tool call running with `config`, or `undefined` when the
 * tool is not guarded. Forward it upstream (Stripe's `idempotency_key`, an `Idempotency-Key`
 * header) so an upstream that honours keys dedupes "the 504 that lied". Without `config` it works
 * anywhere inside the guarded call (a `tool()` function, a `StructuredTool` subclass's `_call`, a
 * helper it awaits), through async-local context as LangGraph's `getConfig()` does.
 *
 * @example
 * ```ts
 * const charge = tool(async (args, config) => payments.charge(args, { idempotencyKey: getIdempotencyKey(config) }), {
 *   name: "charge_card",
 *   schema: z.object({ amount: z.number() }),
 * });
 * ```
 */
export function getIdempotencyKey(config?: unknown): string | undefined {
  // A config that says (an entry, or explicitly none) decides; one that does not, as a config a
  // tool built itself, falls through to the async context.
  if (config !== undefined && config !== null && (entryOf(config) !== undefined || saysNone(config))) return entryOf(config)?.key;
  const here = current.getStore();
  if (here !== undefined) return here.entry?.key;
  return entryOf(AsyncLocalStorageProviderSingleton.getRunnableConfig())?.key;
}

/**
 * `{ "Idempotency-Key": key }` for a guarded call, `{}` otherwise; spread it into `fetch` headers.
 *
 * @example
 * ```ts
 * await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...idempotencyHeaders(config) }, body });
 * ```
 */
export function idempotencyHeaders(config?: unknown): Record<string, string> {
  const key = getIdempotencyKey(config);
  return key === undefined ? {} : { "Idempotency-Key": key };
}

/**
 * A copy of `config` whose `configurable` carries `entry`, so `getIdempotencyKey(config)` finds
 * it; with no entry, explicitly none, for unguarded tools.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function withToolIdempotency<C extends ConfigLike>(config: C, entry: ToolIdempotency | undefined): C {
  // An unguarded tool nested inside a guarded one's run must not see the outer key.
  if (entry === undefined && config.configurable?.[CONFIG_KEY] === undefined) return config;
  return { ...config, configurable: { ...config.configurable, [CONFIG_KEY]: entry } };
}
