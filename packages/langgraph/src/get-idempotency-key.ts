/**
 * How a tool learns its key: the node puts it into the config it runs the tool with, under one
 * namespaced `configurable` entry. `configurable` survives every hop a tool call takes
 * (`tool.invoke` → `StructuredTool.call` → `patchConfig` → the tool function's second argument,
 * and the AsyncLocalStorage config), for `tool()` functions and `StructuredTool` classes alike.
 */
import { getContextVariable } from "@langchain/core/context";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { copyOf, copyWith } from "./plain-copy.js";

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
  /** The call's idempotency key: what the tool forwards upstream (`Idempotency-Key`). */
  key: string;
  /** 1, or more after take-overs of dead claims. */
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

function saysNone(config: unknown): boolean {
  const c = config as ConfigLike;
  return (c.configurable !== undefined && CONFIG_KEY in c.configurable) || (c.config?.configurable !== undefined && CONFIG_KEY in c.config.configurable);
}

/**
 * The context variable (`@langchain/core/context`) that holds the guarded call running in this
 * async context: its entry, or `none` for a call the engine runs unguarded (so a tool nested in a
 * guarded one's run does not see the outer key). LangChain's async-local config is not enough
 * on its own: a `StructuredTool` subclass's `_call` runs in the caller's context, whose config
 * never carried the key, and a nested runnable given a `configurable` of its own drops it.
 */
const CONTEXT_VARIABLE = "__agent_idempotency";
/** Where LangChain's async-local store keeps its context variables (`setContextVariable`). */
const CONTEXT_VARIABLES = Symbol.for("lc:context_variables");

type Store = Record<PropertyKey, unknown> & { [CONTEXT_VARIABLES]?: Record<string, unknown> };
type Storage = { getStore(): Store | undefined; run<T>(store: Store, fn: () => T): T };

/**
 * Runs `fn` with `entry` as the key `getIdempotencyKey()` finds without arguments, anywhere in
 * the async work `fn` starts. It is a LangChain context variable, so it travels wherever
 * LangChain's run config does and further (every run started inside inherits it), in LangChain's
 * own async-local storage: a second storage of our own would add work to every promise the
 * process creates (Node 20 propagates each storage on each promise), about 1.5 % of every graph
 * step, guarded or not. The store is copied as `setContextVariable` copies it (a run tree stays a
 * run tree, sharing its children and trace ids), with the variable set in the copy only.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function runWithToolIdempotency<T>(entry: ToolIdempotency | undefined, fn: () => T): T {
  const als = AsyncLocalStorageProviderSingleton.getInstance() as Storage;
  const store = als.getStore();
  const variables = store?.[CONTEXT_VARIABLES];
  // Nothing to hide when no guarded call encloses this one: an unguarded call then runs as it is.
  if (entry === undefined && (variables?.[CONTEXT_VARIABLE] as { entry?: unknown } | undefined)?.entry === undefined) return fn();
  const copy: Store = store === undefined ? {} : Object.assign(Object.create(Object.getPrototypeOf(store) as object | null) as Store, store);
  copy[CONTEXT_VARIABLES] = copyWith(variables, CONTEXT_VARIABLE, { entry });
  return als.run(copy, fn);
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
  const here = getContextVariable(CONTEXT_VARIABLE) as { entry?: ToolIdempotency } | undefined;
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
 * it; with no entry, explicitly none, for unguarded tools. `signal`, when given, replaces the
 * config's in the same copy (a guarded call runs under its lease's signal).
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function withToolIdempotency<C extends ConfigLike & { signal?: AbortSignal | undefined }>(config: C, entry: ToolIdempotency | undefined, signal?: AbortSignal): C {
  // An unguarded tool nested inside a guarded one's run must not see the outer key.
  const keyed = entry !== undefined || config.configurable?.[CONFIG_KEY] !== undefined;
  if (!keyed && signal === undefined) return config;
  const out = copyOf(config);
  if (keyed) out.configurable = copyWith(config.configurable, CONFIG_KEY, entry);
  if (signal !== undefined) out.signal = signal;
  return out;
}
