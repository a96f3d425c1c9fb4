/**
 * Which MCP tools a guard-everything engine leaves alone, from the annotations their server gave
 * them (`tools/list`). `@langchain/mcp-adapters` keeps them on each tool as
 * `metadata.annotations`.
 *
 * - `readOnlyHint: true`: the tool does not modify its environment, so a retry has nothing to
 *   duplicate. Left unguarded by default: no store round trip, no record, no key sent.
 * - `idempotentHint` and `destructiveHint` do not change the decision: a tool that is not read-only
 *   is guarded whatever they say. `idempotentHint: true` promises that repeating a call with the
 *   same arguments has no further effect, but a model's retry often differs in arguments that do
 *   not change the action, and the promise is the server's to keep: the key in `_meta` is what lets
 *   it keep it. `destructiveHint` says whether an update destroys or only adds, which says nothing
 *   about retries (both kinds duplicate).
 * - The spec calls annotations hints that clients must not trust from an untrusted server; pass
 *   `unguarded: () => false` to guard read-only tools too.
 */
import type { ToolPolicies } from "@agent-idempotency/core";

/** MCP's tool annotations (spec revision 2025-06-18 and later); every hint is optional. */
export interface McpToolAnnotations {
  /** A human-readable name for the tool. */
  title?: string | undefined;
  /** The tool does not modify its environment: left unguarded by default, since a retry has nothing to duplicate. */
  readOnlyHint?: boolean | undefined;
  /** An update may destroy rather than only add (spec default true); no bearing on guarding, since both kinds duplicate. */
  destructiveHint?: boolean | undefined;
  /** Repeating a call with the same arguments has no further effect (spec default false); not trusted by default, since a retry often differs in arguments. */
  idempotentHint?: boolean | undefined;
  /** The tool reaches outside entities, such as the web (spec default true); no bearing on guarding. */
  openWorldHint?: boolean | undefined;
}

/** Options of {@link mcpToolPolicies}. */
export interface McpToolPoliciesOptions {
  /**
   * Which tools stay unguarded, from their annotations. Default: `readOnlyHint === true`.
   * `() => false` guards every tool; `(a) => a.readOnlyHint === true || a.idempotentHint === true`
   * trusts the server's idempotency too.
   */
  unguarded?: ((annotations: McpToolAnnotations, toolName: string) => boolean) | undefined;
}

/** The annotations an MCP tool's server declared, as `@langchain/mcp-adapters` keeps them; `{}` when none. */
export function mcpToolAnnotations(tool: unknown): McpToolAnnotations {
  const a = (tool as { metadata?: { annotations?: unknown } } | undefined)?.metadata?.annotations;
  return typeof a === "object" && a !== null ? (a as McpToolAnnotations) : {};
}

/**
 * `{ [toolName]: false }` for every MCP tool its server annotates `readOnlyHint: true` (or that
 * `unguarded` picks), to spread into an engine's `tools`: with `defaults: { guard: "all" }` those
 * tools then run unguarded, and every other tool is guarded. A policy you list after the spread
 * wins, so a read-only tool you do want guarded stays guarded.
 *
 * @example
 * ```ts
 * const idempotency = createIdempotency({
 *   store,
 *   defaults: { guard: "all" },
 *   tools: { ...mcpToolPolicies(tools), book_calendar: { identity: ["slot"] } },
 * });
 * ```
 */
export function mcpToolPolicies(tools: readonly unknown[], options: McpToolPoliciesOptions = {}): ToolPolicies {
  const unguarded = options.unguarded ?? ((a: McpToolAnnotations) => a.readOnlyHint === true);
  const out: ToolPolicies = {};
  for (const tool of tools) {
    const name = (tool as { name?: unknown } | undefined)?.name;
    if (typeof name === "string" && unguarded(mcpToolAnnotations(tool), name)) out[name] = false;
  }
  return out;
}
