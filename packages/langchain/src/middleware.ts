/**
 * `idempotencyMiddleware` for langchain's `createAgent`: the same engine, policies and scope rules
 * as `IdempotentToolNode`, on `createMiddleware({ wrapToolCall })`. Per tool call:
 *
 * 1. tools without a policy run untouched, through the engine so its audit lists them as
 *    `unguarded` (as `IdempotentToolNode` does); what they return or throw passes through as is;
 * 2. the arguments are parsed by the tool's schema (the key is computed from what the tool will run
 *    with), and the scope comes from the langgraph package's `resolveScope` with the runtime's
 *    `configurable` (thread id) and the agent state (turn = latest human message);
 * 3. the engine claims the key and runs the rest of the middleware chain with a tool whose config
 *    carries the key (`getIdempotencyKey(config)`) and whose run is marked for callbacks as one
 *    the engine logs (`ENGINE_RUN_METADATA`);
 * 4. an error thrown by the rest of the chain (the tool, another middleware, langchain's checks)
 *    releases the claim, or is recorded under `cacheErrors`, and is rethrown as the same object
 *    (`tool-error-message.ts`); an error ToolMessage is a failure (released, not recorded as done)
 *    and is returned; interrupts pass through; arguments that cannot be keyed go back to the model
 *    as an error ToolMessage (as a schema error does); the engine's refusals (no thread id, store
 *    down) fail the run;
 * 5. a replay answers the CURRENT `tool_call_id` with the recorded content, artifact and status,
 *    carries `response_metadata.idempotency`, and emits the `idempotency_replay` custom event.
 *
 * Steps 3 to 5 are the langgraph package's `runGuardedToolCall`, which `IdempotentToolNode` runs too:
 * one record format, so a store shared with the node replays across both.
 *
 * Validation: `createAgent` hands a middleware no tool list when it is built, so the policies are
 * checked against the tools (a policy for a tool the agent lacks, a path its schema lacks) at
 * construction when `tools` is passed, else at the agent's first model call (`wrapModelCall`
 * sees the agent's tools before any tool can run), failing that call with the same
 * `IdempotencyPolicyError`. The first call is the earliest point without a second list to keep in
 * sync; `tools` moves it to start-up for those who want it there.
 */
import type { Idempotency, IdempotencyOptions, IdempotencyRecordedError, RecordedError } from "@agent-idempotency/core";
import { IdempotencyPolicyError, isIdempotencyError } from "@agent-idempotency/core";
import type { ConstructionCheck, IdempotencyMetadata, ScopeOption } from "@agent-idempotency/langgraph";
import type { NamedTool, ScopeFallback, ToolIdempotency } from "@agent-idempotency/langgraph/internal";
import {
  answerModelInputError,
  answerRecordedFailure,
  answerToolMessageFailure,
  checkedEngine,
  engineRunConfig,
  isToolMessageFailure,
  parseToolArgs,
  recordedToolMessage,
  resolveScope,
  runGuardedToolCall,
  runWithToolIdempotency,
  settleFindings,
  threadIdOf,
  thrownErrorMeta,
  toolFindings,
  toolOutputSchema,
} from "@agent-idempotency/langgraph/internal";
import type { ToolMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import type { RunnableConfig } from "@langchain/core/runnables";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { Command } from "@langchain/langgraph";
import { createMiddleware } from "langchain";
import type { ToolCallHandler, ToolCallRequest } from "langchain";
import { answerToolError, cameFromChain, noteChainErrors, noteToolErrors } from "./tool-error-message.js";

/** Options of {@link idempotencyMiddleware}. */
export interface IdempotencyMiddlewareOptions {
  /** An engine from `createIdempotency`, or the options to create one (store, per-tool policies, audit). */
  idempotency: Idempotency | IdempotencyOptions;
  /**
   * `"turn"` (default), `"thread"`, or `(config, state, { name, args }) => string`, for tools whose
   * policy sets no `scope`; the langgraph package's scope rules.
   */
  scope?: ScopeOption | undefined;
  /**
   * The agent's tools (the array given to `createAgent`), to check the policies against them at
   * construction. Without it they are checked at the agent's first model call.
   */
  tools?: readonly NamedTool[] | undefined;
  /** Checks that warn instead of throwing: `"unknown-tool"` (an engine shared with other agents), `"schema-path"`. */
  warnOnly?: readonly ConstructionCheck[] | undefined;
  /**
   * `false` (default): every error travels as it would without this middleware (rethrown, the same
   * object), so middleware outside it see it and, with no tool-error handling in the agent, the run
   * fails (langchain's rule for any `wrapToolCall` middleware). `true`: an error the tool itself
   * throws becomes the error ToolMessage an agent without `wrapToolCall` middleware answers the
   * model with (`"Error: …\n Please fix your mistakes."`); use it only when no middleware outside
   * this one handles tool errors.
   */
  handleToolErrors?: boolean | undefined;
}

/** What one call needs besides its request. */
interface Settings {
  engine: Idempotency;
  scope: ScopeOption;
  handleToolErrors: boolean;
  onFallback: (fallback: ScopeFallback, message: string) => void;
}

/** The fields of {@link IdempotencyMiddlewareOptions}; any other fails at construction. */
export const IDEMPOTENCY_MIDDLEWARE_OPTION_FIELDS: readonly string[] = ["idempotency", "scope", "tools", "warnOnly", "handleToolErrors"];

/** The middleware's `name` in `createAgent`. */
export const IDEMPOTENCY_MIDDLEWARE_NAME = "IdempotencyMiddleware";

type Request = Parameters<ToolCallHandler>[0];
type Tool = NonNullable<ToolCallRequest["tool"]>;

/**
 * A `createAgent` middleware whose guarded tools run once per logical action: a model that repeats
 * a call with a new `tool_call_id`, a retried or resumed run, gets the recorded ToolMessage back
 * instead of a second side effect. Errors travel through it unchanged (see `handleToolErrors`).
 * Put it first in `middleware`: retry and tool-error middleware placed after it run inside one
 * claim, under one key, and see the tool's own errors.
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
  const { engine, scope, warnOnly } = checkedEngine("idempotencyMiddleware", "langchain", options, IDEMPOTENCY_MIDDLEWARE_OPTION_FIELDS, options?.tools, "the agent");
  const h = options.handleToolErrors;
  if (h !== undefined && typeof h !== "boolean") {
    throw new IdempotencyPolicyError([`options.handleToolErrors must be true or false, got ${JSON.stringify(h)}; for custom error answers use langchain's toolErrorMiddleware`], { subject: "idempotencyMiddleware" });
  }
  // Checked against the agent's tools once, at its first model call, unless `tools` did it already.
  let toolsChecked: Error | true | undefined = options.tools === undefined ? undefined : true;
  const checkTools = (tools: readonly NamedTool[]) => {
    const problems = settleFindings(engine, toolFindings(engine, tools, "the agent"), warnOnly);
    toolsChecked = problems.length === 0 ? true : new IdempotencyPolicyError(problems, { subject: "idempotencyMiddleware" });
  };
  const warned = new Set<ScopeFallback>();
  const onFallback = (fallback: ScopeFallback, message: string) => {
    if (warned.has(fallback)) return;
    warned.add(fallback);
    engine.warn(`idempotencyMiddleware: ${message}`);
  };
  const settings: Settings = { engine, scope, handleToolErrors: h === true, onFallback };
  return createMiddleware({
    name: IDEMPOTENCY_MIDDLEWARE_NAME,
    wrapModelCall: (request, handler) => {
      if (toolsChecked === undefined) checkTools(((request as { tools?: unknown[] }).tools ?? []).filter(isNamed));
      if (toolsChecked !== true) throw toolsChecked;
      return handler(request);
    },
    wrapToolCall: (request, handler) => guardToolCall(settings, request as Request, handler as ToolCallHandler),
  });
}

function isNamed(t: unknown): t is NamedTool {
  return typeof (t as { name?: unknown } | null)?.name === "string";
}

async function guardToolCall(settings: Settings, request: Request, handler: ToolCallHandler): Promise<ToolMessage | Command> {
  const { engine } = settings;
  const { toolCall: call, tool, runtime } = request;
  const signal = runtime.signal;
  // No tool to wrap (a dynamic tool an inner middleware supplies, or an unknown name): nothing to
  // guard or mark; the chain answers as without us.
  if (tool === undefined) return handler(request);
  const policy = engine.policy(call.name);
  if (policy === undefined) {
    // Unguarded: runs untouched, but through the engine so the audit log lists it as unguarded.
    // The engine rethrows what the chain threw, unchanged.
    const sessionId = threadIdOf({ configurable: runtime.configurable as Record<string, unknown> | undefined });
    const run = () => handler({ ...request, tool: keyedTool(tool, undefined) });
    try {
      return (await engine.run({ action: call.name, args: call.args, sessionId, toolCallId: call.id, signal }, run)).value;
    } catch (error) {
      return answerToolError(error, call, settings.handleToolErrors, signal);
    }
  }
  let parsed = parseToolArgs(tool, call.args);
  if (parsed instanceof Promise) parsed = await parsed;
  if (!parsed.ok) return handler(request); // the tool rejects them without running: ToolNode answers as usual
  const scope = resolveScope(policy.scope ?? settings.scope, { configurable: runtime.configurable as Record<string, unknown> | undefined }, request.state, call.name, {
    args: parsed.args,
    onFallback: settings.onFallback,
  });
  let ran: ToolIdempotency | undefined;
  return runGuardedToolCall(
    engine,
    // The ToolNode's run config (async context), so the replay event reaches its callbacks.
    {
      call,
      args: parsed.args,
      schema: toolOutputSchema(tool),
      scope,
      signal,
      // Read by a replay only; the async context is the same then.
      get config() {
        return currentConfig();
      },
      writer: runtime.writer,
      state: request.state,
    },
    (entry, leaseSignal) => {
      ran = entry;
      return noteChainErrors(() => handler({ ...request, tool: keyedTool(tool, entry, leaseSignal) }));
    },
    (error) => failed(error, call, runtime, settings.handleToolErrors, () => thrownErrorMeta(engine, ran, call, parsed.args, scope)),
  );
}

/**
 * What a guarded call that failed becomes, once the engine released its claim (or recorded the
 * failure): the error rethrown as it came, or the answer this middleware owes the model.
 */
async function failed(error: unknown, call: ToolCall, runtime: ToolCallRequest["runtime"], handleToolErrors: boolean, meta: () => IdempotencyMetadata): Promise<ToolMessage> {
  // The chain returned an error ToolMessage: nothing was thrown, the message goes back as it came.
  if (isToolMessageFailure(error)) return answerToolMessageFailure(error, call);
  // What the chain threw is not ours to answer, even an engine error of a nested guarded call.
  // Answered (handleToolErrors), it carries the call's key like every answer to a guarded call.
  if (cameFromChain(error)) {
    const answer = answerToolError(error, call, handleToolErrors, runtime.signal);
    answer.response_metadata = { ...answer.response_metadata, idempotency: meta() };
    return answer;
  }
  if (isIdempotencyError(error, "RECORDED_ERROR")) {
    // A failure recorded with `cacheErrors`. A recorded error ToolMessage replays as that message;
    // a recorded thrown error replays as the error ToolMessage it was first answered with under
    // `handleToolErrors`, and otherwise is thrown (the engine's error: the tool's own words).
    const recorded = error as IdempotencyRecordedError;
    if (recordedToolMessage(recorded.recorded) === undefined && !handleToolErrors) throw error;
    const words = (r: RecordedError) => `${errorString(r)}\n Please fix your mistakes.`;
    return answerRecordedFailure(recorded, call, { config: currentConfig(), writer: runtime.writer }, words);
  }
  // Arguments that cannot be keyed go back to the model, as a schema error does (langchain answers
  // `ToolInvocationError` even with middleware) and as IdempotentToolNode does; the engine's other
  // refusals (store down, still in progress) fail the run.
  const forModel = answerModelInputError(error, call);
  if (forModel !== undefined) return forModel;
  throw error;
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
    const run = (signal: AbortSignal | undefined) =>
      runWithToolIdempotency(entry, () => noteToolErrors(() => (tool as { invoke(input: unknown, config?: RunnableConfig): Promise<unknown> }).invoke(input, engineRunConfig(base, entry, signal))));
    if (leaseSignal === undefined || base.signal === undefined) return run(leaseSignal);
    const either = eitherSignal(base.signal, leaseSignal);
    return run(either.signal).finally(either.dispose);
  };
  return new Proxy(tool, {
    get(target, prop) {
      if (prop === "invoke") return invoke;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * A signal that aborts when `a` or `b` does, with its reason, until `dispose()`. A plain signal
 * rather than `AbortSignal.any`: the config's signal is already a composite (langchain merges the
 * agent's and the run's), and Node 20 makes every listener LangChain adds to a composite signal,
 * one per runnable the tool starts, register and unregister it for the garbage collector.
 */
function eitherSignal(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  if (a.aborted || b.aborted) {
    controller.abort(a.aborted ? a.reason : b.reason);
    return { signal: controller.signal, dispose: () => undefined };
  }
  const onA = () => controller.abort(a.reason);
  const onB = () => controller.abort(b.reason);
  a.addEventListener("abort", onA, { once: true });
  b.addEventListener("abort", onB, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      a.removeEventListener("abort", onA);
      b.removeEventListener("abort", onB);
    },
  };
}
