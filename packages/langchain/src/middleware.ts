/**
 * `idempotencyMiddleware` for langchain's `createAgent`: the same engine, policies and scope rules
 * as `IdempotentToolNode`, on `createMiddleware({ wrapToolCall })`. Per tool call:
 *
 * 1. tools without a policy run untouched, through the engine so its audit lists them as
 *    `unguarded` (as `IdempotentToolNode` does); their errors still become error ToolMessages (4);
 * 2. the arguments are parsed by the tool's schema (the key is computed from what the tool will run
 *    with), and the scope comes from the langgraph package's `resolveScope` with the runtime's
 *    `configurable` (thread id) and the agent state (turn = latest human message);
 * 3. the engine claims the key and runs the rest of the middleware chain with a tool whose config
 *    carries the key (`getIdempotencyKey(config)`) and whose run is marked for callbacks as one
 *    the engine logs (`ENGINE_RUN_METADATA`);
 * 4. a thrown tool error becomes the error ToolMessage createAgent gives without middleware, an
 *    error ToolMessage is a failure (the claim is released, not recorded as done), interrupts pass
 *    through untouched, arguments that cannot be keyed go back to the model as an error
 *    ToolMessage (as in the node), and the engine's refusals (no thread id, store down) fail the run;
 * 5. a replay answers the CURRENT `tool_call_id` with the recorded content, artifact and status,
 *    carries `response_metadata.idempotency`, and emits the `idempotency_replay` custom event.
 *
 * Records use the node's format, so a store shared with `IdempotentToolNode` replays across both.
 */
import type { Idempotency, IdempotencyOptions, IdempotencyRecordedError, RecordedError, RunResult } from "@agent-idempotency/core";
import { isIdempotencyError } from "@agent-idempotency/core";
import type { IdempotencyMetadata, ScopeOption } from "@agent-idempotency/langgraph";
import { resolveScope, threadIdOf, validateScopeOption } from "@agent-idempotency/langgraph";
import { ToolMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import type { RunnableConfig } from "@langchain/core/runnables";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { Command } from "@langchain/langgraph";
import { isGraphBubbleUp } from "@langchain/langgraph";
import { createMiddleware } from "langchain";
import type { ToolCallHandler, ToolCallRequest } from "langchain";
import { engineRunConfig } from "./engine-run-metadata.js";
import type { RecordedOutput, ToolKey } from "./langgraph-bridge.js";
import {
  annotate,
  emitReplay,
  isErrorToolMessage,
  isRecordedOutput,
  isToolMessageFailure,
  parseToolArgs,
  recordedToolMessage,
  recordOutput,
  replayOutput,
  resolveEngine,
  toolMessageFailure,
} from "./langgraph-bridge.js";
import { toolErrorMessage } from "./tool-error-message.js";

/** Options of {@link idempotencyMiddleware}. */
export interface IdempotencyMiddlewareOptions {
  /** An engine from `createIdempotency`, or the options to create one (store, per-tool policies, audit). */
  idempotency: Idempotency | IdempotencyOptions;
  /** `"turn"` (default), `"thread"`, or `(config, state) => string`; the langgraph package's scope rules. */
  scope?: ScopeOption | undefined;
}

/** The middleware's `name` in `createAgent`. */
export const IDEMPOTENCY_MIDDLEWARE_NAME = "IdempotencyMiddleware";

type Request = Parameters<ToolCallHandler>[0];
type Tool = NonNullable<ToolCallRequest["tool"]>;

/**
 * A `createAgent` middleware whose guarded tools run once per logical action: a model that repeats
 * a call with a new `tool_call_id`, a retried or resumed run, gets the recorded ToolMessage back
 * instead of a second side effect. Put it first in `middleware` so that retry middleware placed
 * after it retries inside one claim, under one key.
 *
 * @example
 * ```ts
 * import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
 * import { getIdempotencyKey } from "@agent-idempotency/langgraph";
 * import { idempotencyMiddleware } from "@agent-idempotency/langchain";
 * import { AIMessage, createAgent, fakeModel, HumanMessage, tool } from "langchain";
 * import { z } from "zod";
 *
 * let bookings = 0;
 * const book = tool(async ({ slot }, config) => `booked ${slot} #${++bookings} (key ${getIdempotencyKey(config)})`, {
 *   name: "book_calendar", description: "Book a slot", schema: z.object({ slot: z.string() }),
 * });
 * const model = fakeModel()
 *   .respondWithTools([{ name: "book_calendar", args: { slot: "10:00" }, id: "c1" }])
 *   .respondWithTools([{ name: "book_calendar", args: { slot: "10:00" }, id: "c2" }]) // the model repeats itself
 *   .respond(new AIMessage("done"));
 * const agent = createAgent({
 *   model,
 *   tools: [book],
 *   middleware: [idempotencyMiddleware({ idempotency: createIdempotency({ store: new MemoryStore(), tools: { book_calendar: { identity: ["slot"] } } }) })],
 * });
 * await agent.invoke({ messages: [new HumanMessage("book 10:00")] }, { configurable: { thread_id: "t-1" } });
 * // bookings === 1; the answer to "c2" carries response_metadata.idempotency.replayed === true
 * ```
 */
export function idempotencyMiddleware(options: IdempotencyMiddlewareOptions) {
  const engine = resolveEngine(options?.idempotency, "idempotencyMiddleware");
  const scope: ScopeOption = options.scope ?? "turn";
  validateScopeOption(scope);
  return createMiddleware({
    name: IDEMPOTENCY_MIDDLEWARE_NAME,
    wrapToolCall: (request, handler) => guardToolCall(engine, scope, request as Request, handler as ToolCallHandler),
  });
}

async function guardToolCall(engine: Idempotency, scopeOption: ScopeOption, request: Request, handler: ToolCallHandler): Promise<ToolMessage | Command> {
  const { toolCall: call, tool, runtime } = request;
  const signal = runtime.signal;
  const untouched = async (req: Request) => {
    try {
      return await handler(req);
    } catch (error) {
      return toolErrorMessage(error, call, signal);
    }
  };
  if (tool === undefined) return untouched(request);
  if (engine.policy(call.name) === undefined) {
    // Unguarded: runs untouched, but through the engine so the audit log lists it as unguarded.
    const sessionId = threadIdOf({ configurable: runtime.configurable as Record<string, unknown> | undefined });
    const run = () => untouched({ ...request, tool: keyedTool(tool, undefined) });
    return (await engine.run({ action: call.name, args: call.args, sessionId, toolCallId: call.id }, run)).value;
  }
  const parsed = await parseToolArgs(tool, call.args);
  if (!parsed.ok) return untouched(request); // the tool rejects them without running: ToolNode answers as usual
  const { scope, sessionId } = resolveScope(scopeOption, { configurable: runtime.configurable as Record<string, unknown> | undefined }, request.state, call.name);
  const toolCallId = call.id ?? "";

  let executed: ToolMessage | Command | undefined;
  let result: RunResult<unknown>;
  try {
    result = await engine.run(
      { action: call.name, args: parsed.args, scope, sessionId, toolCallId: call.id, signal, passthrough: isGraphBubbleUp },
      async ({ key, attempt, signal: leaseSignal }) => {
        const out = await handler({ ...request, tool: keyedTool(tool, { key: key ?? "", attempt }, leaseSignal) });
        if (isErrorToolMessage(out)) throw toolMessageFailure(out, call.name);
        executed = out;
        return recordOutput(out, toolCallId);
      },
    );
  } catch (error) {
    return failed(error, call, runtime);
  }

  const meta: IdempotencyMetadata = { key: result.key ?? "", replayed: result.replayed, outcome: result.outcome, attempt: result.attempt };
  if (!result.replayed && executed !== undefined) return annotate(executed, toolCallId, meta);
  meta.recordedAt = result.recordedAt;
  const value = result.value;
  const recorded: RecordedOutput = isRecordedOutput(value)
    ? value
    : { kind: "tool_message", content: typeof value === "string" ? value : JSON.stringify(value ?? null), status: "success" };
  const out = replayOutput(recorded, { toolCallId, name: call.name, meta });
  await emitReplay(currentConfig(), runtime.writer, { tool: call.name, key: meta.key, tool_call_id: toolCallId, outcome: meta.outcome, attempt: meta.attempt, recordedAt: meta.recordedAt });
  return out;
}

/** What a call that threw becomes: the ToolMessage createAgent would give, or the error rethrown. */
async function failed(error: unknown, call: ToolCall, runtime: ToolCallRequest["runtime"]): Promise<ToolMessage> {
  const toolCallId = call.id ?? "";
  if (isToolMessageFailure(error)) {
    // A single-flight leader may hand its failure to a duplicate: answer the current id.
    if (error.toolMessage.tool_call_id === toolCallId) return error.toolMessage;
    return replayOutput(error.data, { toolCallId, name: call.name, meta: { key: "", replayed: false, outcome: "failed", attempt: 1 } }) as ToolMessage;
  }
  if (isIdempotencyError(error, "RECORDED_ERROR")) {
    // A failure recorded with `cacheErrors`: replayed as the error ToolMessage it first was.
    const e = error as IdempotencyRecordedError;
    const record = e.record;
    const meta: IdempotencyMetadata = {
      key: e.key,
      replayed: true,
      outcome: "failed",
      attempt: record?.attempt ?? 1,
      recordedAt: record?.status === "failed" ? record.completedAt : undefined,
    };
    await emitReplay(currentConfig(), runtime.writer, { tool: call.name, key: e.key, tool_call_id: toolCallId, outcome: "failed", attempt: meta.attempt, recordedAt: meta.recordedAt });
    const rec = recordedToolMessage(e.recorded) ?? { kind: "tool_message" as const, content: `${errorString(e.recorded)}\n Please fix your mistakes.`, status: "error" as const };
    return replayOutput(rec, { toolCallId, name: call.name, meta }) as ToolMessage;
  }
  if (isModelInputError(error)) {
    // The model's arguments cannot be keyed (a missing identity field, too large) or reuse a key
    // with other arguments: like a schema error it goes back to the model, as IdempotentToolNode does.
    const meta: IdempotencyMetadata = { key: (error as { key?: string }).key ?? "", replayed: false, outcome: "failed", attempt: 1 };
    return new ToolMessage({ status: "error", content: `Error: ${(error as Error).message}\n Please fix your mistakes.`, name: call.name, tool_call_id: toolCallId, response_metadata: { idempotency: meta } });
  }
  return toolErrorMessage(error, call, runtime.signal);
}

/** Errors caused by what the model sent, not by the store or the configuration. */
function isModelInputError(error: unknown): boolean {
  return isIdempotencyError(error, "KEY_INVALID") || isIdempotencyError(error, "RECORD_TOO_LARGE") || isIdempotencyError(error, "PAYLOAD_MISMATCH");
}

/** `String(error)` of the error that was recorded: "Name: message", as the first answer read. */
function errorString(recorded: RecordedError): string {
  return recorded.message ? `${recorded.name}: ${recorded.message}` : recorded.name;
}

/** The ToolNode's run config (AsyncLocalStorage), so the replay event reaches its callbacks. */
function currentConfig(): RunnableConfig | undefined {
  return AsyncLocalStorageProviderSingleton.getRunnableConfig() as RunnableConfig | undefined;
}

/**
 * The same tool, invoked with the engine's mark (and the key of a guarded call) in its config and
 * the lease's abort signal merged in. A Proxy rather than a copy: the ToolNode (and inner
 * middleware) see the real tool's name, schema and methods; only `invoke` changes. The runtime's
 * `configurable` object is shared by the calls of one AI message running in parallel, so the key
 * goes into a copy, never into that object.
 */
function keyedTool(tool: Tool, entry: ToolKey | undefined, leaseSignal?: AbortSignal): Tool {
  const invoke = (input: unknown, config?: RunnableConfig) => {
    const base = (config ?? {}) as RunnableConfig;
    const signal = leaseSignal === undefined ? base.signal : base.signal ? AbortSignal.any([base.signal, leaseSignal]) : leaseSignal;
    return (tool as { invoke(input: unknown, config?: RunnableConfig): Promise<unknown> }).invoke(input, engineRunConfig({ ...base, signal }, entry));
  };
  return new Proxy(tool, {
    get(target, prop) {
      if (prop === "invoke") return invoke;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
