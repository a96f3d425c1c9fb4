/**
 * `idempotencyTelemetry()`: the engine's instrumentation hook, on OpenTelemetry.
 *
 * Per guarded call: one INTERNAL span, `idempotency {action}`, started when the call starts and
 * made active while it claims, runs the tool and records (so the tool's own spans, an HTTP call
 * upstream, nest under it), ended with the key, outcome, attempt and whether it was a replay.
 * A call that throws ends the span with status ERROR, the exception and `error.type`; every
 * other outcome leaves the status unset, as instrumentations do for success. Per call, guarded
 * or not: one count on `agent_idempotency.calls` and one duration, by action and outcome. Keys
 * never become metric attributes (one series per key would have no end).
 */
import { createRequire } from "node:module";
import type { CallEnd, CallObserver, CallStart, IdempotencyInstrumentation } from "@agent-idempotency/core";
import type { Attributes, Counter, Histogram, Meter, MeterProvider, Span, Tracer, TracerProvider } from "@opentelemetry/api";
import { context, metrics, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  ATTR_ACTION,
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
  SPAN_NAME_PREFIX,
} from "./attributes.js";

/** Options of {@link idempotencyTelemetry}. */
export interface IdempotencyTelemetryOptions {
  /** Where spans go. Default: the global provider (`trace.setGlobalTracerProvider`, an SDK's `start()`). */
  tracerProvider?: TracerProvider | undefined;
  /** Where counts and durations go. Default: the global provider, looked up again when it changes. */
  meterProvider?: MeterProvider | undefined;
  /** Spans for the calls of tools without a policy (which the engine runs untouched). Default `false`: they are counted, not traced. */
  traceUnguarded?: boolean | undefined;
  /** Turn spans off (metrics only). Default `true`. */
  spans?: boolean | undefined;
  /** Turn metrics off (spans only). Default `true`. */
  metrics?: boolean | undefined;
}

/** The instrumentation scope: this package, at its version. */
const SCOPE = "@agent-idempotency/opentelemetry";
const VERSION = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

interface Instruments {
  provider: MeterProvider;
  calls: Counter;
  duration: Histogram;
}

/**
 * The `instrumentation` option of `createIdempotency` (and so of `IdempotentToolNode`,
 * `idempotencyMiddleware`, `withIdempotency` and `idempotentTask`, which take the engine's options):
 * a span and a count for every call. Register an OpenTelemetry SDK as usual; without one the API's
 * no-op tracer and meter make this nearly free, and without this option core wraps nothing at all.
 *
 * @example
 * ```ts
 * import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
 * import { idempotencyTelemetry } from "@agent-idempotency/opentelemetry";
 *
 * const idempotency = createIdempotency({
 *   store: new MemoryStore(),
 *   tools: { book_calendar: { identity: ["slot"] } },
 *   instrumentation: idempotencyTelemetry(),
 * });
 * ```
 */
export function idempotencyTelemetry(options: IdempotencyTelemetryOptions = {}): IdempotencyInstrumentation {
  const tracer: Tracer | undefined = options.spans === false ? undefined : (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE, VERSION);
  const traceUnguarded = options.traceUnguarded === true;
  let instruments: Instruments | undefined;
  // The API has no proxy for meters: a provider registered after this call would be missed, so
  // the global one is looked up on each call and the instruments rebuilt when it changed.
  const meter = (): Instruments | undefined => {
    if (options.metrics === false) return undefined;
    const provider = options.meterProvider ?? metrics.getMeterProvider();
    if (instruments?.provider !== provider) instruments = createInstruments(provider, provider.getMeter(SCOPE, VERSION));
    return instruments;
  };
  const count = (end: CallEnd) => {
    const m = meter();
    if (m === undefined) return;
    const attributes: Attributes = { [ATTR_ACTION]: end.action, [ATTR_OUTCOME]: end.outcome, [ATTR_REPLAYED]: end.replayed };
    if (end.error !== undefined) attributes[ATTR_ERROR_TYPE] = errorType(end.error);
    m.calls.add(1, attributes);
    m.duration.record(end.durationMs / 1000, attributes);
  };
  const countOnly: CallObserver = { end: count };

  return {
    start(call: CallStart): CallObserver {
      if (tracer === undefined || (!call.guarded && !traceUnguarded)) return countOnly;
      const span = tracer.startSpan(`${SPAN_NAME_PREFIX} ${call.action}`, { kind: SpanKind.INTERNAL, attributes: startAttributes(call) });
      const active = trace.setSpan(context.active(), span);
      return {
        run: (next) => context.with(active, next),
        end: (end) => {
          endSpan(span, end);
          count(end);
        },
      };
    },
  };
}

function createInstruments(provider: MeterProvider, meter: Meter): Instruments {
  return {
    provider,
    calls: meter.createCounter(METRIC_CALLS, { unit: "{call}", description: "Calls through the idempotency engine, by action and outcome." }),
    duration: meter.createHistogram(METRIC_CALL_DURATION, {
      unit: "s",
      description: "Duration of calls through the idempotency engine (claim, tool or replay, record).",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    }),
  };
}

function startAttributes(call: CallStart): Attributes {
  const a: Attributes = { [ATTR_ACTION]: call.action };
  // The GenAI tool attributes only for a model's tool call: a functional-API task is no tool.
  if (call.toolCallId !== undefined && call.toolCallId !== "") {
    a[ATTR_GEN_AI_TOOL_NAME] = call.action;
    a[ATTR_GEN_AI_TOOL_CALL_ID] = call.toolCallId;
  }
  if (call.sessionId !== undefined && call.sessionId !== "") a[ATTR_GEN_AI_CONVERSATION_ID] = call.sessionId;
  return a;
}

function endSpan(span: Span, end: CallEnd): void {
  const a: Attributes = { [ATTR_OUTCOME]: end.outcome, [ATTR_REPLAYED]: end.replayed, [ATTR_ATTEMPT]: end.attempt };
  if (end.key !== undefined) a[ATTR_KEY] = end.key;
  if (end.responseId !== undefined) a[ATTR_RESPONSE_ID] = end.responseId;
  if (end.error !== undefined) {
    a[ATTR_ERROR_TYPE] = errorType(end.error);
    const e = end.error;
    span.recordException(e instanceof Error ? e : String(e));
    span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
  }
  span.setAttributes(a);
  span.end();
}

/** `error.type`: the error's class name (low cardinality), or `_OTHER` as the convention says. */
function errorType(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" && name !== "" ? name : "_OTHER";
}
