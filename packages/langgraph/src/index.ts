export { IdempotentToolNode } from "./idempotent-tool-node.js";
export type { IdempotentToolNodeOptions } from "./options.js";
export { latestHumanMessage, resolveScope, threadIdOf, validateScopeOption } from "./scope.js";
export type { ResolvedScope, ScopeConfig, ScopeFunction, ScopeOption } from "./scope.js";
export { getIdempotencyKey, idempotencyHeaders } from "./get-idempotency-key.js";
export { IDEMPOTENCY_REPLAY_EVENT } from "./replay-event.js";
export type { IdempotencyReplayEvent } from "./replay-event.js";
export type { IdempotencyMetadata } from "./recorded-output.js";
export { TOOL_MESSAGE_ERROR } from "./tool-message-failure.js";
export { ENGINE_RUN_METADATA } from "./engine-run-metadata.js";
export type { EngineRunMark } from "./engine-run-metadata.js";

// @internal: shared with @agent-idempotency/langchain so both write and replay one record format;
// not a stable API (each export's TSDoc says so).
export { engineRunConfig, engineRunOf, markEngineRun } from "./engine-run-metadata.js";
export { CONFIG_KEY, withToolIdempotency } from "./get-idempotency-key.js";
export type { ToolIdempotency } from "./get-idempotency-key.js";
export { parseToolArgs } from "./parse-tool-args.js";
export { toolJsonSchema } from "./schema-normalize.js";
export type { ParsedArgs } from "./parse-tool-args.js";
export { isEngine, resolveEngine } from "./options.js";
export { annotate, asRecordedOutput, isErrorToolMessage, isRecordedOutput, recordOutput, replayOutput } from "./recorded-output.js";
export type { RecordedCommand, RecordedOutput, RecordedToolMessage, ReplayTarget } from "./recorded-output.js";
export { isToolMessageFailure, recordedToolMessage, toolMessageFailure } from "./tool-message-failure.js";
export type { ToolMessageFailure } from "./tool-message-failure.js";
export { emitReplay } from "./replay-event.js";
export { runGuardedToolCall } from "./guarded-tool-call.js";
export type { GuardedToolCall } from "./guarded-tool-call.js";
export { answerModelInputError, answerRecordedFailure, answerToolMessageFailure } from "./failure-answer.js";
