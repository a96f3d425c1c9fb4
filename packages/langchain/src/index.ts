export { idempotencyMiddleware, IDEMPOTENCY_MIDDLEWARE_NAME } from "./middleware.js";
export type { IdempotencyMiddlewareOptions } from "./middleware.js";
export { ENGINE_RUN_METADATA } from "./engine-run-metadata.js";
export type { EngineRunMark } from "./engine-run-metadata.js";
export { withIdempotency } from "./with-idempotency.js";
export type { WithIdempotencyOptions } from "./with-idempotency.js";
export { IdempotencyCallbackHandler } from "./callback-handler.js";
export type { IdempotencyCallbackHandlerOptions } from "./callback-handler.js";
export type { DuplicateToolCall, ObservedExecution } from "./duplicate-window.js";
