/**
 * `@agent-idempotency/opentelemetry`: `idempotencyTelemetry()`, a span and a count for every guarded
 * call (key, outcome, attempt, replays), and the attribute and metric names they carry.
 *
 * @packageDocumentation
 */

export { idempotencyTelemetry } from "./telemetry.js";
export type { IdempotencyTelemetryOptions } from "./telemetry.js";
export {
  ATTR_ACTION,
  ATTRIBUTE_NAMESPACE,
  ATTR_ATTEMPT,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_KEY,
  ATTR_OUTCOME,
  ATTR_REPLAYED,
  ATTR_RESPONSE_ID,
  DURATION_BUCKETS_S,
  METRIC_CALL_DURATION,
  METRIC_CALLS,
  NAMESPACE,
  SPAN_NAME_PREFIX,
} from "./attributes.js";
