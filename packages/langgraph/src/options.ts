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

/** True when `x` is an engine rather than the options for one. */
function isEngine(x: Idempotency | IdempotencyOptions): x is Idempotency {
  return typeof (x as Idempotency).run === "function" && typeof (x as Idempotency).policy === "function";
}

/** The engine an options object names, creating it when given its options. @internal */
export function resolveEngine(idempotency: Idempotency | IdempotencyOptions | undefined): Idempotency {
  if (idempotency === undefined || idempotency === null || typeof idempotency !== "object") {
    throw new IdempotencyPolicyError("[agent-idempotency] [langgraph] IdempotentToolNode needs { idempotency }: an engine from createIdempotency, or its options");
  }
  return isEngine(idempotency) ? idempotency : createIdempotency(idempotency);
}
