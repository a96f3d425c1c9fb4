/**
 * What a LangSmith trace shows of guarded calls, captured offline: a `BaseTracer` that keeps the
 * run trees, and LangSmith's own `LangChainTracer` with a client whose `fetch` is captured (no
 * network). An executed call's tool run carries the key and outcome `executed`; a replay, which
 * runs no tool, gets a run of its own under the tools node, tagged `idempotency:replayed`.
 */
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import type { IdempotencyOptions } from "@agent-idempotency/core";
import { getIdempotencyKey, IdempotentToolNode, REPLAY_TAG } from "@agent-idempotency/langgraph";
import { tool } from "@langchain/core/tools";
import type { Run } from "@langchain/core/tracers/base";
import { LangChainTracer } from "@langchain/core/tracers/tracer_langchain";
import { Client } from "langsmith";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentGraph, human, scriptedModel, thread } from "./helpers.js";
import { RunCollector } from "../../../test/support/run-collector.js";

function booking(options: Partial<IdempotencyOptions> = {}) {
  const effects: string[] = [];
  const book = tool(
    async ({ slot }, config) => {
      effects.push(slot);
      return `booked ${slot} (key ${getIdempotencyKey(config)?.slice(0, 8)})`;
    },
    { name: "book_calendar", description: "Book a slot", schema: z.object({ slot: z.string() }) },
  );
  const idempotency = createIdempotency({ store: new MemoryStore(), tools: { book_calendar: { identity: ["slot"] } }, ...options });
  return { effects, node: new IdempotentToolNode([book], { idempotency }) };
}

const callTwice = () => scriptedModel([{ name: "book_calendar", args: { slot: "10:00" }, id: "c1" }], [{ name: "book_calendar", args: { slot: "10:00" }, id: "c2" }]);

describe("LangSmith trace of IdempotentToolNode (BaseTracer)", () => {
  it("runTool(): one tool run per tool call; the executed one carries key and outcome, the replay is its own run tagged idempotency:replayed", async () => {
    const { effects, node } = booking();
    const tracer = new RunCollector();
    await agentGraph(callTwice(), node).invoke({ messages: [human("book 10:00", "h1")] }, { ...thread("ls-1"), callbacks: [tracer] });
    expect(effects).toEqual(["10:00"]);

    const toolRuns = tracer.tools();
    expect(toolRuns.map((r) => [r.name, r.extra?.metadata?.idempotency_outcome, r.extra?.metadata?.idempotency_replayed, r.tags?.includes(REPLAY_TAG)])).toEqual([
      ["book_calendar", "executed", false, false],
      ["book_calendar", "replayed", true, true],
    ]);
    const [executed, replayed] = toolRuns as [Run, Run];
    const key = executed.extra!.metadata.idempotency_key as string;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(replayed.extra!.metadata).toMatchObject({ idempotency_key: key, idempotency_attempt: 1, agent_idempotency: { guarded: true, key, replayed: true } });
    expect(replayed.extra!.metadata.idempotency_recorded_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Where the tool's run would have been: a child of the second "tools" node run.
    const toolsRuns = tracer.all().filter((r) => r.name === "tools");
    expect(toolsRuns).toHaveLength(2);
    expect(replayed.parent_run_id).toBe(toolsRuns[1]!.id);
    expect(executed.parent_run_id).toBe(toolsRuns[0]!.id);
    // Its input is the call's arguments, its output the replayed answer for the current call.
    expect(replayed.inputs).toEqual(executed.inputs);
    expect(replayed.inputs).toEqual({ slot: "10:00" });
    expect(replayed.outputs?.output).toMatchObject({ tool_call_id: "c2", content: expect.stringContaining("booked 10:00") });
  });

  it("runTool(): a failure recorded with cacheErrors replays as an errored run tagged idempotency:replayed", async () => {
    const effects: number[] = [];
    const charge = tool(
      async () => {
        effects.push(1);
        throw new Error("card declined");
      },
      { name: "charge_card", description: "Charge", schema: z.object({ order: z.string() }) },
    );
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: { charge_card: { identity: ["order"], cacheErrors: true } } });
    const node = new IdempotentToolNode([charge], { idempotency });
    const model = scriptedModel([{ name: "charge_card", args: { order: "o-1" }, id: "c1" }], [{ name: "charge_card", args: { order: "o-1" }, id: "c2" }]);
    const tracer = new RunCollector();
    await agentGraph(model, node).invoke({ messages: [human("charge", "h1")] }, { ...thread("ls-2"), callbacks: [tracer] });
    expect(effects).toHaveLength(1);
    const toolRuns = tracer.tools();
    expect(toolRuns.map((r) => [r.extra?.metadata?.idempotency_outcome, r.extra?.metadata?.idempotency_replayed, r.tags?.includes(REPLAY_TAG), r.error?.includes("card declined")])).toEqual([
      ["executed", false, false, true],
      ["failed", true, true, true],
    ]);
    expect(toolRuns[1]!.error).toMatch(/card declined/); // what the model read, as the first call's answer
  });

  it("runTool(): an unguarded tool's run says unguarded and carries no key", async () => {
    const lookup = tool(async () => "found", { name: "lookup", description: "Look up", schema: z.object({ q: z.string() }) });
    const node = new IdempotentToolNode([lookup], { idempotency: createIdempotency({ store: new MemoryStore(), tools: {} }) });
    const tracer = new RunCollector();
    await agentGraph(scriptedModel([{ name: "lookup", args: { q: "x" }, id: "c1" }]), node).invoke({ messages: [human("x", "h1")] }, { ...thread("ls-3"), callbacks: [tracer] });
    const [run] = tracer.tools();
    expect(run!.extra?.metadata).toMatchObject({ idempotency_outcome: "unguarded", agent_idempotency: { guarded: false } });
    expect(run!.extra?.metadata).not.toHaveProperty("idempotency_key");
  });
});

describe("LangSmith trace of IdempotentToolNode (LangChainTracer, captured transport)", () => {
  it("LangChainTracer: what is posted to LangSmith marks the replay in tags and metadata, and the executed run with the same key", async () => {
    const posted: { method: string; url: string; body: Record<string, unknown> }[] = [];
    const capture = async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      const raw = init?.body;
      const text = typeof raw === "string" ? raw : raw instanceof Uint8Array ? new TextDecoder().decode(raw) : "{}";
      const body = JSON.parse(text) as Record<string, unknown>;
      posted.push({ method: init?.method ?? "GET", url, body });
      return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
    };
    const client = new Client({ apiUrl: "http://langsmith.test", apiKey: "offline", autoBatchTracing: false, fetchImplementation: capture as typeof fetch });
    const tracer = new LangChainTracer({ client, projectName: "agent-idempotency-tests" });
    const { effects, node } = booking();
    await agentGraph(callTwice(), node).invoke({ messages: [human("book 10:00", "h1")] }, { ...thread("ls-4"), callbacks: [tracer] });
    await client.awaitPendingTraceBatches();
    expect(effects).toEqual(["10:00"]);

    const created = posted.filter((p) => p.method === "POST" && p.url.endsWith("/runs")).map((p) => p.body);
    expect(posted.every((p) => p.url.startsWith("http://langsmith.test/"))).toBe(true);
    const tools = created.filter((r) => r.run_type === "tool");
    const meta = (r: Record<string, unknown>) => (r.extra as { metadata: Record<string, unknown> }).metadata;
    expect(tools.map((r) => [r.name, meta(r).idempotency_outcome, (r.tags as string[]).includes(REPLAY_TAG)])).toEqual([
      ["book_calendar", "executed", false],
      ["book_calendar", "replayed", true],
    ]);
    expect(meta(tools[1]!).idempotency_key).toBe(meta(tools[0]!).idempotency_key);
    expect(meta(tools[1]!).thread_id).toBe("ls-4"); // inherited like any run's metadata
  });
});
