/**
 * The names this package writes, in one place: span attributes, the span name, the instruments.
 *
 * OpenTelemetry's semantic conventions (the GenAI ones included) have nothing for idempotency, so
 * our own attributes live under one namespace, `agent_idempotency.`, the package's name in
 * snake_case, as the specification asks of names outside the conventions (a prefix of their own,
 * so a future convention can never collide with them). Where a convention does name a value
 * (the tool, the tool call, the conversation, the error's type), that name is used instead.
 */

/** Prefix of every attribute and instrument this package defines. */
export const ATTRIBUTE_NAMESPACE = "agent_idempotency";

/**
 * The old name of {@link ATTRIBUTE_NAMESPACE}.
 * @deprecated Use `ATTRIBUTE_NAMESPACE` (a bare `NAMESPACE` says nothing where it is imported); `NAMESPACE` goes in 0.3.
 */
export const NAMESPACE = ATTRIBUTE_NAMESPACE;

/** The action: the tool (or task) name the policy is looked up by. */
export const ATTR_ACTION = "agent_idempotency.action";
/** The idempotency key (a hash; never the arguments). Absent when the call has none. */
export const ATTR_KEY = "agent_idempotency.key";
/** How the call ended: `executed`, `replayed`, `recovered`, `mismatch`, `lease_lost`, `unguarded`, `failed`, `in_progress`. */
export const ATTR_OUTCOME = "agent_idempotency.outcome";
/** True when the tool did not run for this call and a recorded outcome came back. */
export const ATTR_REPLAYED = "agent_idempotency.replayed";
/** 1, or more after take-overs of dead claims; for a replay, the attempt that recorded it. */
export const ATTR_ATTEMPT = "agent_idempotency.attempt";
/** The upstream's id for the effect (the policy's `responseId`), when there is one. */
export const ATTR_RESPONSE_ID = "agent_idempotency.response_id";

/** GenAI convention: the tool's name (set on calls that answer a model's tool call). */
export const ATTR_GEN_AI_TOOL_NAME = "gen_ai.tool.name";
/** GenAI convention: the model's tool call id. */
export const ATTR_GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id";
/** GenAI convention: the conversation (thread, session) the call belongs to. */
export const ATTR_GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id";
/** General convention: the class of error a failed call ended with. */
export const ATTR_ERROR_TYPE = "error.type";

/** Span name: `idempotency {action}` (low cardinality: one per tool). */
export const SPAN_NAME_PREFIX = "idempotency";

/** Counter of calls, by action and outcome. Unit `{call}`. */
export const METRIC_CALLS = "agent_idempotency.calls";
/** Histogram of call durations (claim, tool or replay, record), by action and outcome. Unit `s`. */
export const METRIC_CALL_DURATION = "agent_idempotency.call.duration";

/** Duration buckets, in seconds: from a replay out of memory (sub-millisecond) to a slow tool. */
export const DURATION_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
