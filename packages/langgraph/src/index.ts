/**
 * `@agent-idempotency/langgraph`: LangGraph.js tools that are safe to retry. `IdempotentToolNode`
 * (a drop-in `ToolNode`), `idempotentTask` (the functional API), `getIdempotencyKey` for the tool
 * to forward upstream, `interruptOnRepeat` for live detection, and the names of what a guarded call
 * leaves in events and traces.
 *
 * What `@agent-idempotency/langchain` shares with this package is in
 * `@agent-idempotency/langgraph/internal` (not a stable API).
 *
 * @packageDocumentation
 */

export { IdempotentToolNode } from "./idempotent-tool-node.js";
export type { IdempotentToolNodeOptions } from "./options.js";
export type { ConstructionCheck } from "./construction-check.js";
export type { ScopeCall, ScopeConfig, ScopeFunction, ScopeOption } from "./scope.js";
export { idempotentTask } from "./idempotent-task.js";
export type { IdempotentTaskOptions, TaskScopeFunction } from "./idempotent-task.js";
export { getIdempotencyKey, idempotencyHeaders } from "./get-idempotency-key.js";
export { interruptOnRepeat } from "./interrupt-on-repeat.js";
export type { InterruptOnRepeatOptions, RepeatInterrupt } from "./interrupt-on-repeat.js";

// What a guarded call leaves where others look: events, run metadata, traces, errors.
export { IDEMPOTENCY_REPLAY_EVENT } from "./replay-event.js";
export type { IdempotencyReplayEvent } from "./replay-event.js";
export type { IdempotencyMetadata } from "./recorded-output.js";
export { ENGINE_RUN_METADATA } from "./engine-run-metadata.js";
export type { EngineRunMark } from "./engine-run-metadata.js";
export { REPLAY_TAG, TRACE_METADATA } from "./trace-metadata.js";
export { TOOL_MESSAGE_ERROR } from "./tool-message-failure.js";
