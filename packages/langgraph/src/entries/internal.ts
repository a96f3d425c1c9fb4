/**
 * `@agent-idempotency/langgraph/internal`: what `@agent-idempotency/langchain` (and
 * `@agent-idempotency/mcp`) share with this package, so the middleware and `withIdempotency`
 * write, replay and check exactly what `IdempotentToolNode` does.
 *
 * **Not a stable API.** Any release may change or remove these names without notice; import them
 * only from the `@agent-idempotency/*` packages of the same version.
 *
 * @packageDocumentation
 */

// Construction: the engine, the options, the checks of policies against tools.
export { IDEMPOTENT_TOOL_NODE_OPTION_FIELDS, isEngine, resolveEngine } from "../options.js";
export { actionEngine } from "../action-engine.js";
export type { ActionEngineOptions } from "../action-engine.js";
export { checkedEngine, CONSTRUCTION_CHECKS, enginePolicies, rawPolicies, schemaPathFindings, settleFindings, toolFindings } from "../construction-check.js";
export type { CheckedEngine, CheckedEngineOptions, NamedTool, PolicySource, ToolFinding } from "../construction-check.js";
export { missingPath, toolJsonSchema } from "../tool-schema.js";
export type { JsonSchemaNode, MissingPath } from "../tool-schema.js";
export { toolOutputSchema } from "../schema-normalize.js";

// Scope.
export { latestHumanMessage, resolveScope, threadIdOf, validateScopeOption } from "../scope.js";
export type { ResolvedScope, ResolveScopeOptions, ScopeFallback } from "../scope.js";

// One guarded tool call: arguments, the run, its config and metadata.
export { parseToolArgs } from "../parse-tool-args.js";
export type { ParsedArgs } from "../parse-tool-args.js";
export { runGuardedToolCall } from "../guarded-tool-call.js";
export type { GuardedToolCall } from "../guarded-tool-call.js";
export { CONFIG_KEY, runWithToolIdempotency, withToolIdempotency } from "../get-idempotency-key.js";
export type { ToolIdempotency } from "../get-idempotency-key.js";
export { engineRunConfig, engineRunOf, markEngineRun } from "../engine-run-metadata.js";
export { withTraceMetadata } from "../trace-metadata.js";
export { toolResultOf } from "../tool-result.js";
export { turnMarker } from "../turn-marker.js";

// Recording and replaying outputs and failures.
export { annotate, asRecordedOutput, isErrorToolMessage, isRecordedOutput, recordOutput, replayOutput } from "../recorded-output.js";
export type { RecordedCommand, RecordedOutput, RecordedToolMessage, ReplayTarget } from "../recorded-output.js";
export { isToolMessageFailure, recordedToolMessage, toolMessageFailure } from "../tool-message-failure.js";
export type { ToolMessageFailure } from "../tool-message-failure.js";
export { answerModelInputError, answerRecordedFailure, answerToolMessageFailure, thrownErrorMeta } from "../failure-answer.js";
export { emitReplay } from "../replay-event.js";
export { traceReplay } from "../replay-run.js";
export type { ReplayRun } from "../replay-run.js";
