#!/usr/bin/env node
// tracing: what OpenTelemetry and LangSmith show of an agent whose tool calls run, replay and
// fail. Offline: in-memory OpenTelemetry exporters, a LangSmith client with a captured transport.
//   node examples/tracing/main.mjs [--json]
import { pathToFileURL } from "node:url";
import { buildAgent } from "./src/agent.mjs";
import { capturedLangSmith } from "./src/langsmith.mjs";
import { startTelemetry } from "./src/telemetry.mjs";

export async function runDemo() {
  const otel = startTelemetry();
  const langsmith = capturedLangSmith();
  const { graph, effects, ask } = buildAgent();
  await graph.invoke({ messages: [ask] }, { configurable: { thread_id: "thread-42" }, callbacks: [langsmith.tracer] });

  const startedAt = (s) => s.startTime[0] * 1e9 + s.startTime[1];
  const spans = [...otel.spans()].sort((a, b) => startedAt(a) - startedAt(b));
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const spanRows = spans
    .filter((s) => s.name.startsWith("idempotency "))
    .map((s) => ({
      name: s.name,
      outcome: s.attributes["agent_idempotency.outcome"],
      replayed: s.attributes["agent_idempotency.replayed"],
      attempt: s.attributes["agent_idempotency.attempt"],
      status: ["UNSET", "OK", "ERROR"][s.status.code],
      key: s.attributes["agent_idempotency.key"],
      toolCallId: s.attributes["gen_ai.tool.call.id"],
      children: spans.filter((c) => c.parentSpanContext?.spanId === s.spanContext().spanId).map((c) => c.name),
    }));
  const nested = spans.filter((s) => s.name === "POST /calendar/events").map((s) => byId.get(s.parentSpanContext?.spanId)?.name);
  const runRows = (await langsmith.runs())
    .filter((r) => r.run_type === "tool")
    .map((r) => ({
      name: r.name,
      tags: (r.tags ?? []).filter((t) => t.startsWith("idempotency")),
      outcome: r.extra?.metadata?.idempotency_outcome,
      key: r.extra?.metadata?.idempotency_key,
      error: r.error ? String(r.error).split("\n")[0] : undefined,
    }));
  const counts = await otel.counts();
  await otel.shutdown();
  return { spans: spanRows, nested, counts, runs: runRows, effects };
}

function print(out) {
  const short = (k) => (k ? `${String(k).slice(0, 8)}…` : "-");
  const row = (cells, widths) => `  ${cells.map((c, i) => String(c).padEnd(widths[i])).join("  ")}`.trimEnd();
  console.log("tracing: an agent books a slot and charges a card; the charge fails (504), then the model calls both again.\n");
  console.log("OpenTelemetry spans (in-memory exporter; an OTLP exporter in production):");
  const w = [26, 9, 9, 8, 7, 10, 20];
  console.log(row(["span", "outcome", "replayed", "attempt", "status", "key", "children"], w));
  for (const s of out.spans) console.log(row([s.name, s.outcome, s.replayed, s.attempt, s.status, short(s.key), s.children.join(", ") || "-"], w));
  console.log(`\ncounter agent_idempotency.calls: ${Object.entries(out.counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  console.log("\nLangSmith tool runs (LangChainTracer; what its client would have posted):");
  const v = [14, 22, 10, 10, 30];
  console.log(row(["run", "tags", "outcome", "key", "error"], v));
  for (const r of out.runs) console.log(row([r.name, r.tags.join(",") || "-", r.outcome, short(r.key), r.error ?? "-"], v));
  console.log(`\nbookings made: ${out.effects.bookings}, charge attempts: ${out.effects.charges} (both under one key)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const out = await runDemo();
  if (process.argv.includes("--json")) console.log(JSON.stringify(out));
  else print(out);
}
