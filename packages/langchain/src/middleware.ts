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
 * Steps 3 to 5 are the langgraph package's `runGuardedToolCall`, which `IdempotentToolNode` runs too:
 * one record format, so a store shared with the node replays across both.
 */
import type { Idempotency, IdempotencyOptions, IdempotencyRecordedError, RecordedError } from "@agent-idempotency/core";
import { isIdempotencyError } from "@agent-idempotency/core";
import type { ScopeOption, ToolIdempotency } from "@agent-idempotency/langgraph";
import {
  answerModelInputError,
  answerRecordedFailure,
  answerToolMessageFailure,
  engineRunConfig,
  isToolMessageFailure,
  parseToolArgs,
  resolveEngine,
  resolveScope,
  runGuardedToolCall,
  threadIdOf,
  validateScopeOption,
} from "@agent-idempotency/langgraph";
import type { ToolMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import type { RunnableConfig } from "@langchain/core/runnables";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { Command } from "@langchain/langgraph";
import { createMiddleware } from "langchain";
import type { ToolCallHandler, ToolCallRequest } from "langchain";
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
  const engine = resolveEngine(options?.idempotency, "idempotencyMiddleware", "langchain");
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
  const scope = resolveScope(scopeOption, { configurable: runtime.configurable as Record<string, unknown> | undefined }, request.state, call.name);
  return runGuardedToolCall(
    engine,
    // The ToolNode's run config (async context), so the replay event reaches its callbacks.
    { call, args: parsed.args, scope, signal, config: currentConfig(), writer: runtime.writer, state: request.state },
    (entry, leaseSignal) => handler({ ...request, tool: keyedTool(tool, entry, leaseSignal) }),
    (error) => failed(error, call, runtime),
  );
}

/** What a call that threw becomes: the ToolMessage createAgent would give, or the error rethrown. */
async function failed(error: unknown, call: ToolCall, runtime: ToolCallRequest["runtime"]): Promise<ToolMessage> {
  if (isToolMessageFailure(error)) return answerToolMessageFailure(error, call);
  if (isIdempotencyError(error, "RECORDED_ERROR")) {
    // A failure recorded with `cacheErrors`: replayed as the error ToolMessage it first was.
    const words = (recorded: RecordedError) => `${errorString(recorded)}\n Please fix your mistakes.`;
    return answerRecordedFailure(error as IdempotencyRecordedError, call, { config: currentConfig(), writer: runtime.writer }, words);
  }
  // Arguments that cannot be keyed go back to the model, as IdempotentToolNode does; the rest is
  // answered (or rethrown) exactly as createAgent does without middleware.
  return answerModelInputError(error, call) ?? toolErrorMessage(error, call, runtime.signal);
}

/** `String(error)` of the error that was recorded: "Name: message", as the first answer read. */
function errorString(recorded: RecordedError): string {
  return recorded.message ? `${recorded.name}: ${recorded.message}` : recorded.name;
}

/** The ToolNode's run config (AsyncLocalStorage), so a replay's event reaches its callbacks. */
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
function keyedTool(tool: Tool, entry: ToolIdempotency | undefined, leaseSignal?: AbortSignal): Tool {
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
