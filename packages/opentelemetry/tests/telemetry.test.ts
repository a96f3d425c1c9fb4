import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { IdempotencyOptions } from "@agent-idempotency/core";
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import type { IdempotencyTelemetryOptions } from "@agent-idempotency/opentelemetry";
import { idempotencyTelemetry } from "@agent-idempotency/opentelemetry";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import type { HistogramMetricData, SumMetricData } from "@opentelemetry/sdk-metrics";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const meterProvider = new MeterProvider({ readers: [reader] });

beforeAll(() => {
  // Context propagation across awaits, as an SDK's start() sets it up.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(async () => {
  context.disable();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
});
beforeEach(() => {
  spans.reset();
});

let n = 0;
function engine(tools: IdempotencyOptions["tools"] = { book_calendar: { identity: ["slot"], responseId: (r: { id: string }) => r.id } }, telemetry: IdempotencyTelemetryOptions = {}) {
  // One action name per test, so the cumulative counters of earlier tests do not mix in.
  return createIdempotency({ store: new MemoryStore(), tools, instrumentation: idempotencyTelemetry({ tracerProvider, meterProvider, ...telemetry }), onWarning: () => {} });
}

/** The cumulative counts of `agent_idempotency.calls` for `action`, by outcome (and replayed). */
async function counts(action: string): Promise<Record<string, number>> {
  await reader.forceFlush();
  const batches = metricExporter.getMetrics();
  const last = batches.at(-1)!;
  const metric = last.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === "agent_idempotency.calls") as SumMetricData | undefined;
  const out: Record<string, number> = {};
  for (const p of metric?.dataPoints ?? []) {
    if (p.attributes["agent_idempotency.action"] !== action) continue;
    out[`${String(p.attributes["agent_idempotency.outcome"])}${p.attributes["agent_idempotency.replayed"] ? "(replayed)" : ""}`] = p.value;
  }
  return out;
}

describe("idempotencyTelemetry(): spans", () => {
  it("start(): an executed call and its replay are two INTERNAL spans with key, outcome, attempt, replayed and the GenAI tool attributes", async () => {
    const idempotency = engine();
    const call = (id: string) => ({ action: "book_calendar", args: { slot: "10:00" }, sessionId: "thread-1", toolCallId: id });
    let bookings = 0;
    const first = await idempotency.run(call("c1"), async () => ({ id: `b_${++bookings}` }));
    const again = await idempotency.run(call("c2"), async () => ({ id: `b_${++bookings}` }));
    expect(bookings).toBe(1);
    expect(again.replayed).toBe(true);

    const finished = spans.getFinishedSpans();
    expect(finished.map((s) => [s.name, s.kind, s.status.code])).toEqual([
      ["idempotency book_calendar", SpanKind.INTERNAL, SpanStatusCode.UNSET],
      ["idempotency book_calendar", SpanKind.INTERNAL, SpanStatusCode.UNSET],
    ]);
    expect(finished.map((s) => s.attributes)).toEqual([
      {
        "agent_idempotency.action": "book_calendar",
        "agent_idempotency.key": first.key,
        "agent_idempotency.outcome": "executed",
        "agent_idempotency.replayed": false,
        "agent_idempotency.attempt": 1,
        "agent_idempotency.response_id": "b_1",
        "gen_ai.tool.name": "book_calendar",
        "gen_ai.tool.call.id": "c1",
        "gen_ai.conversation.id": "thread-1",
      },
      {
        "agent_idempotency.action": "book_calendar",
        "agent_idempotency.key": first.key,
        "agent_idempotency.outcome": "replayed",
        "agent_idempotency.replayed": true,
        "agent_idempotency.attempt": 1,
        "agent_idempotency.response_id": "b_1",
        "gen_ai.tool.name": "book_calendar",
        "gen_ai.tool.call.id": "c2",
        "gen_ai.conversation.id": "thread-1",
      },
    ]);
    expect(finished[0]!.instrumentationScope.name).toBe("@agent-idempotency/opentelemetry");
  });

  it("start(): the span is active while the tool runs (its own spans nest under it) and is a child of the caller's span", async () => {
    const idempotency = engine({ charge_card: { identity: ["order_id"] } });
    const tracer = tracerProvider.getTracer("app");
    await tracer.startActiveSpan("agent turn", async (turn) => {
      await idempotency.run({ action: "charge_card", args: { order_id: "o-1" }, sessionId: "s" }, async () => {
        await new Promise((r) => setTimeout(r, 2)); // an await between: context must survive it
        tracer.startSpan("POST /charges").end();
        return "ok";
      });
      turn.end();
    });
    const byName = Object.fromEntries(spans.getFinishedSpans().map((s) => [s.name, s]));
    expect(byName["POST /charges"]!.parentSpanContext?.spanId).toBe(byName["idempotency charge_card"]!.spanContext().spanId);
    expect(byName["idempotency charge_card"]!.parentSpanContext?.spanId).toBe(byName["agent turn"]!.spanContext().spanId);
    expect(byName["idempotency charge_card"]!.attributes).not.toHaveProperty("gen_ai.tool.name"); // no tool call id: not a model's tool call
  });

  it("end(): a tool that throws ends its span with status ERROR, the exception and error.type; the retry's span is executed", async () => {
    const idempotency = engine({ send_email: { identity: ["to"] } });
    const call = { action: "send_email", args: { to: "ada@example.com" }, sessionId: "s" };
    await expect(idempotency.run(call, () => Promise.reject(new TypeError("504 from upstream")))).rejects.toThrow("504");
    await idempotency.run(call, async () => "sent");
    const [failed, executed] = spans.getFinishedSpans();
    expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR, message: "504 from upstream" });
    expect(failed!.attributes).toMatchObject({ "agent_idempotency.outcome": "failed", "agent_idempotency.replayed": false, "error.type": "TypeError" });
    expect(failed!.events.map((e) => [e.name, e.attributes?.["exception.message"]])).toEqual([["exception", "504 from upstream"]]);
    expect(executed!.attributes["agent_idempotency.key"]).toBe(failed!.attributes["agent_idempotency.key"]);
    expect(executed!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("end(): a refusal (still in progress elsewhere) is an ERROR span with outcome in_progress", async () => {
    const store = new MemoryStore();
    const make = () => createIdempotency({ store, tools: { pay: { identity: ["id"], onInProgress: "error" } }, instrumentation: idempotencyTelemetry({ tracerProvider, meterProvider }) });
    const [a, b] = [make(), make()]; // two processes sharing a store
    let release!: () => void;
    const holding = a.run({ action: "pay", args: { id: 1 }, sessionId: "s" }, () => new Promise<string>((r) => (release = () => r("paid"))));
    await new Promise((r) => setTimeout(r, 5));
    await expect(b.run({ action: "pay", args: { id: 1 }, sessionId: "s" }, async () => "again")).rejects.toMatchObject({ code: "IN_PROGRESS" });
    release();
    await holding;
    const [refused] = spans.getFinishedSpans();
    expect(refused!.attributes).toMatchObject({ "agent_idempotency.outcome": "in_progress", "error.type": "IdempotencyInProgressError" });
    expect(refused!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("start(): unguarded tools are counted but not traced, unless traceUnguarded", async () => {
    await engine({}).run({ action: "lookup_a", args: {}, sessionId: "s" }, async () => "x");
    expect(spans.getFinishedSpans()).toHaveLength(0);
    await engine({}, { traceUnguarded: true }).run({ action: "lookup_a", args: {}, sessionId: "s" }, async () => "x");
    expect(spans.getFinishedSpans().map((s) => [s.name, s.attributes["agent_idempotency.outcome"], s.attributes["agent_idempotency.key"]])).toEqual([["idempotency lookup_a", "unguarded", undefined]]);
    expect(await counts("lookup_a")).toEqual({ unguarded: 2 });
  });
});

describe("idempotencyTelemetry(): counters", () => {
  it("agent_idempotency.calls: one count per call by outcome; 5 concurrent duplicates count 1 executed and 4 replayed", async () => {
    const idempotency = engine({ refund: { identity: ["id"], cacheErrors: (e: unknown) => (e as Error).message === "final" } });
    let effects = 0;
    const call = (id: number) => ({ action: "refund", args: { id }, sessionId: "s" });
    await Promise.all(Array.from({ length: 5 }, () => idempotency.run(call(1), async () => (await new Promise((r) => setTimeout(r, 5)), ++effects))));
    await expect(idempotency.run(call(2), () => Promise.reject(new Error("final")))).rejects.toThrow("final");
    await expect(idempotency.run(call(2), async () => ++effects)).rejects.toMatchObject({ code: "RECORDED_ERROR" });
    expect(effects).toBe(1);
    expect(await counts("refund")).toEqual({ executed: 1, "replayed(replayed)": 4, failed: 1, "failed(replayed)": 1 });

    const durations = metricExporter.getMetrics().at(-1)!.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === "agent_idempotency.call.duration") as HistogramMetricData;
    expect(durations.descriptor.unit).toBe("s");
    const refunds = durations.dataPoints.filter((p) => p.attributes["agent_idempotency.action"] === "refund");
    expect(refunds.reduce((sum, p) => sum + p.value.count, 0)).toBe(7);
    expect(refunds.every((p) => !("agent_idempotency.key" in p.attributes))).toBe(true);
  });

  it("spans: false and metrics: false turn each off; with no SDK registered the global no-op API changes no outcome", async () => {
    await engine({ a_only_metrics: true }, { spans: false }).run({ action: "a_only_metrics", args: {}, sessionId: "s" }, async () => 1);
    expect(spans.getFinishedSpans()).toHaveLength(0);
    expect(await counts("a_only_metrics")).toEqual({ executed: 1 });
    await engine({ a_only_spans: true }, { metrics: false }).run({ action: "a_only_spans", args: {}, sessionId: "s" }, async () => 1);
    expect(spans.getFinishedSpans()).toHaveLength(1);
    expect(await counts("a_only_spans")).toEqual({});

    const globalOnly = createIdempotency({ store: new MemoryStore(), tools: { x: true }, instrumentation: idempotencyTelemetry() });
    const out = await globalOnly.run({ action: "x", args: { v: 1 }, sessionId: "s" }, async () => "ran");
    expect([out.outcome, out.value]).toEqual(["executed", "ran"]);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
