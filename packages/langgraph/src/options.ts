/**
 * Options of {@link IdempotentToolNode}: ToolNode's own, plus the engine and the scope.
 */
import type { Idempotency, IdempotencyOptions } from "@agent-idempotency/core";
import { createIdempotency, IdempotencyPolicyError } from "@agent-idempotency/core";
import type { ToolNodeOptions } from "@langchain/langgraph/prebuilt";
import type { ScopeOption } from "./scope.js";

/** Options of `new IdempotentToolNode(tools, options)`. */
export type IdempotentToolNodeOptions = ToolNodeOptions & {
  /** An engine from `createIdempotency`, or the options to create one. */
  idempotency: Idempotency | IdempotencyOptions;
  /** `"turn"` (default), `"thread"`, or `(config, state) => string`. See `resolveScope`. */
  scope?: ScopeOption | undefined;
};

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
