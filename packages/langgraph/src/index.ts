export { IdempotentToolNode } from "./idempotent-tool-node.js";
export type { IdempotentToolNodeOptions } from "./options.js";
export { latestHumanMessage, resolveScope, threadIdOf, validateScopeOption } from "./scope.js";
export type { ResolvedScope, ScopeConfig, ScopeFunction, ScopeOption } from "./scope.js";
export { getIdempotencyKey, idempotencyHeaders } from "./get-idempotency-key.js";
export { IDEMPOTENCY_REPLAY_EVENT } from "./replay-event.js";
export type { IdempotencyReplayEvent } from "./replay-event.js";
export type { IdempotencyMetadata } from "./recorded-output.js";
export { TOOL_MESSAGE_ERROR } from "./tool-message-failure.js";
