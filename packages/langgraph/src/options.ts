/**
 * Options of {@link IdempotentToolNode}: ToolNode's own, plus the engine and the scope.
 */
import type { Idempotency, IdempotencyOptions } from "@agent-idempotency/core";
import { createIdempotency, IdempotencyPolicyError } from "@agent-idempotency/core";
import type { ToolNodeOptions } from "@langchain/langgraph/prebuilt";
import type { ConstructionCheck } from "./construction-check.js";
import type { ScopeOption } from "./scope.js";

/** Options of `new IdempotentToolNode(tools, options)`. */
export type IdempotentToolNodeOptions = ToolNodeOptions & {
  /** An engine from `createIdempotency`, or the options to create one. */
  idempotency: Idempotency | IdempotencyOptions;
  /**
   * `"turn"` (default), `"thread"`, or `(config, state, { name, args }) => string`: the scope of
   * tools whose policy sets none. See `resolveScope`.
   */
  scope?: ScopeOption | undefined;
  /**
   * Construction checks that warn (through the engine's `onWarning`) instead of throwing:
   * `"unknown-tool"` for an engine shared by several nodes or tools added later, `"schema-path"`
   * for a schema that accepts fields it does not declare.
   */
  warnOnly?: readonly ConstructionCheck[] | undefined;
};

/**
 * The fields of {@link IdempotentToolNodeOptions}; any other fails at construction with a "did
 * you mean". A field added to the options must be added here too.
 */
export const IDEMPOTENT_TOOL_NODE_OPTION_FIELDS: readonly string[] = ["idempotency", "scope", "warnOnly", "name", "tags", "handleToolErrors"];

/**
 * True when `x` is an engine rather than the options for one.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function isEngine(x: Idempotency | IdempotencyOptions): x is Idempotency {
  return typeof (x as Idempotency).run === "function" && typeof (x as Idempotency).policy === "function";
}

/**
 * The engine `idempotency` names, created from its options when it is not one already; throws
 * {@link IdempotencyPolicyError} naming the caller (`who`, in package `pkg`) when it is missing.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function resolveEngine(idempotency: Idempotency | IdempotencyOptions | undefined, who = "IdempotentToolNode", pkg = "langgraph"): Idempotency {
  if (idempotency === undefined || idempotency === null || typeof idempotency !== "object") {
    throw new IdempotencyPolicyError(`[agent-idempotency] [${pkg}] ${who} needs { idempotency }: an engine from createIdempotency, or its options`);
  }
  return isEngine(idempotency) ? idempotency : createIdempotency(idempotency);
}
