/**
 * `@agent-idempotency/langchain`: LangChain.js tools that are safe to retry. `idempotencyMiddleware`
 * for `createAgent`, `withIdempotency(tool)` for one tool anywhere, and `IdempotencyCallbackHandler`,
 * which only observes and logs (run it first to see the duplicates you have).
 *
 * @packageDocumentation
 */

export { idempotencyMiddleware, IDEMPOTENCY_MIDDLEWARE_NAME } from "./middleware.js";
export type { IdempotencyMiddlewareOptions } from "./middleware.js";
// Re-exported: the mark lives in the langgraph package, whose IdempotentToolNode sets it too.
export { ENGINE_RUN_METADATA } from "@agent-idempotency/langgraph";
export type { EngineRunMark } from "@agent-idempotency/langgraph";
export { withIdempotency } from "./with-idempotency.js";
export type { WithIdempotencyOptions } from "./with-idempotency.js";
export { IdempotencyCallbackHandler } from "./callback-handler.js";
export type { IdempotencyCallbackHandlerOptions } from "./callback-handler.js";
export type { DuplicateToolCall, ObservedExecution } from "./duplicate-window.js";
