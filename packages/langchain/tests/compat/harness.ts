/**
 * The compatibility harness: one scenario (an agent's tools, other middleware, scripted model and
 * inputs) run stock and with `idempotencyMiddleware` appended or prepended, and observed the ways a
 * user observes an agent: `invoke` (final state or the error it rejects with), `stream` (updates and
 * custom chunks), `streamEvents` (v2), what the model was shown, and the side effects.
 *
 * Observations are normalized only where runs differ by nature: ids that are random (uuids, and
 * the hashes of interrupt ids derived from them), stack frames (langchain copies a tool's stack into
 * the message of `ToolInvocationError`, and any middleware adds frames), and the middleware's
 * documented metadata (`response_metadata.idempotency` on the answers of guarded calls, the
 * `agent_idempotency` mark in a tool run's metadata). Errors are named by what they are (name,
 * message, `MiddlewareError` or not) and by which object of the scenario's own they are.
 */
import { TRACE_METADATA } from "@agent-idempotency/langgraph";
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph";
import type { FakeBuiltModel } from "@langchain/core/testing";
import type { AgentMiddleware } from "langchain";
import { createAgent, MiddlewareError } from "langchain";
import { idempotencyMiddleware } from "../../src/index.js";
import type { Position } from "../helpers.js";
import { place } from "../helpers.js";

/** One fresh copy of a scenario's agent parts. */
export interface Setup {
  tools: unknown[];
  middleware: AgentMiddleware[];
  model: FakeBuiltModel;
  /** What the agent is invoked with, in turn on one thread: a first input, then resumes. */
  inputs: unknown[];
  checkpointer?: boolean;
  /** The side effects the scenario's tools and middleware made. */
  effects: unknown[];
  /** The errors the scenario's tools and middleware threw, to name a rejection by identity. */
  thrown: unknown[];
}

export interface Scenario {
  name: string;
  build(): Setup;
  /**
   * No other middleware of the agent has `wrapToolCall`: without ours, the ToolNode answers tool
   * errors itself, so ours is compared with `handleToolErrors: true`, as its README says to set it.
   */
  bare?: boolean;
  /**
   * Without middleware, the ToolNode answers a tool's own error in this scenario; with any
   * `wrapToolCall` middleware (ours with its default `handleToolErrors: false` included) the run
   * fails with that error instead. Documented.
   */
  answersToolError?: boolean;
  /** Tool calls run in parallel: events and effects are compared as sets, not in order. */
  parallel?: boolean;
  /**
   * The agent has no tools: any `wrapToolCall` middleware makes langchain add a tools node, whose
   * router runs after the model (a `RunnableLambda` in the events). Documented; the events are
   * compared without the model node's router runs.
   */
  toolsNodeAdded?: boolean;
}

export interface Variant {
  at: Position;
  /** `none`: no policies (every tool unguarded); `all`: every tool guarded (`defaults.guard`). */
  policies: "none" | "all";
  handleToolErrors?: boolean;
}

export interface Observation {
  invoke: unknown[];
  stream: unknown[];
  events: unknown[];
  modelSaw: unknown[];
  effects: unknown[];
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const HASH = /\b[0-9a-f]{32}\b/g;
const STACK_FRAME = /\n\s+at [^\n]*/g;
const blank = (s: string) => s.replace(UUID, "<uuid>").replace(HASH, "<hash>").replace(STACK_FRAME, "");
/**
 * Keys dropped: ids of runs (different in any two runs) and the marks of a tool run the engine runs
 * (`agent_idempotency` and the flat trace metadata `idempotency_*`, documented; unguarded runs
 * carry them too). With guarded tools, also the `idempotency` entry of an answer's `response_metadata`.
 */
const VOLATILE = ["run_id", "parent_ids", "agent_idempotency", ...Object.values(TRACE_METADATA)];
const STRICT = new Set(VOLATILE);
const GUARDED = new Set([...VOLATILE, "idempotency"]);

/** A JSON-like copy with random ids blanked and the `dropped` keys left out. */
export function normalize(value: unknown, dropped: Set<string> = STRICT): unknown {
  const plain = value === undefined ? undefined : (JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Error ? describeError(v) : v))) as unknown);
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return blank(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => !dropped.has(k)).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(plain);
}

function describeError(e: Error): Record<string, unknown> {
  return { name: e.name, message: e.message };
}

/** What an error is: its name and message, whether langchain wrapped it, and which of ours it is. */
function nameError(error: unknown, thrown: unknown[]): unknown {
  const one = (e: unknown) => (e instanceof Error ? { name: e.name, message: blank(e.message), ownIndex: thrown.indexOf(e) } : { value: String(e) });
  return { rejected: one(error), middlewareError: MiddlewareError.isInstance(error), cause: error instanceof Error && error.cause !== undefined ? one(error.cause) : undefined };
}

/** The agent of `setup`, with `idempotencyMiddleware` placed as `variant` says (none: stock). */
/**
 * The three ways `drive` runs an agent, typed loosely: the scenarios differ in state and
 * middleware, which `createAgent`'s inferred types would make a different type per scenario.
 */
interface DrivenAgent {
  invoke(input: unknown, config: object): Promise<unknown>;
  stream(input: unknown, config: object): Promise<AsyncIterable<unknown>>;
  streamEvents(input: unknown, config: object): AsyncIterable<{ event: string; name: string; tags?: string[]; metadata?: unknown; data: unknown }>;
}

function agentOf(setup: Setup, variant: Variant | undefined, checkpointer: BaseCheckpointSaver | undefined): DrivenAgent {
  let middleware = setup.middleware;
  if (variant !== undefined) {
    const idempotency = createIdempotency({ store: new MemoryStore(), ...(variant.policies === "all" ? { defaults: { guard: "all" as const } } : {}) });
    const mine = idempotencyMiddleware({ idempotency, ...(variant.handleToolErrors === undefined ? {} : { handleToolErrors: variant.handleToolErrors }) });
    middleware = place(mine, setup.middleware, variant.at);
  }
  return createAgent({ model: setup.model, tools: setup.tools as never, middleware: middleware as never, ...(checkpointer ? { checkpointer } : {}) }) as unknown as DrivenAgent;
}

type Drive = "invoke" | "stream" | "events";

/** Runs each input of a fresh `setup` one way, and what was seen. */
async function drive(scenario: Scenario, variant: Variant | undefined, how: Drive, dropped: Set<string>): Promise<{ seen: unknown[]; setup: Setup }> {
  const setup = scenario.build();
  const agent = agentOf(setup, variant, setup.checkpointer ? new MemorySaver() : undefined);
  const config = { configurable: { thread_id: `compat-${how}` } };
  const seen: unknown[] = [];
  for (const input of setup.inputs) {
    try {
      if (how === "invoke") {
        seen.push({ state: normalize(await agent.invoke(input, config), dropped) });
      } else if (how === "stream") {
        for await (const chunk of await agent.stream(input, { ...config, streamMode: ["updates", "custom"] })) seen.push(normalize(chunk, dropped));
      } else {
        const events: unknown[] = [];
        for await (const e of agent.streamEvents(input, { ...config, version: "v2" })) events.push(normalize({ event: e.event, name: e.name, tags: e.tags, metadata: e.metadata, data: e.data }, dropped));
        const shown = scenario.toolsNodeAdded ? events.filter((e) => !isModelRouterRun(e)) : events;
        seen.push(...(scenario.parallel ? shown.map((e) => JSON.stringify(e)).sort() : shown));
      }
    } catch (error) {
      seen.push({ error: nameError(error, setup.thrown) });
    }
  }
  return { seen, setup };
}

function isModelRouterRun(event: unknown): boolean {
  const e = event as { name?: string; metadata?: { langgraph_node?: string } };
  return e.name === "RunnableLambda" && e.metadata?.langgraph_node === "model_request";
}

/**
 * Everything one variant (or the stock agent) shows, over the three ways of driving it. `guarded`:
 * compare without the answers' `idempotency` metadata (pass it for the stock run it is compared with).
 */
export async function observe(scenario: Scenario, variant: Variant | undefined, guarded = variant?.policies === "all"): Promise<Observation> {
  const dropped = guarded ? GUARDED : STRICT;
  const invoke = await drive(scenario, variant, "invoke", dropped);
  const stream = await drive(scenario, variant, "stream", dropped);
  const events = await drive(scenario, variant, "events", dropped);
  return {
    invoke: invoke.seen,
    stream: stream.seen,
    events: events.seen,
    modelSaw: invoke.setup.model.calls.map((c) => normalize(c.messages, dropped)),
    effects: [invoke.setup.effects, stream.setup.effects, events.setup.effects].map((e) => normalize(scenario.parallel ? [...e].map(String).sort() : e, dropped)),
  };
}
