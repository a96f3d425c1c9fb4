/**
 * `IdempotentToolNode`: LangGraph's prebuilt `ToolNode`, with every tool the engine guards made
 * safe to retry. It overrides only ToolNode's per-call hook, `runTool(call, config, state)`, so
 * ToolNode keeps running the calls of one AI message in parallel, handling `Send` inputs, and
 * combining `Command`s; each guarded call goes through `idempotency.run`:
 *
 * 1. the arguments are parsed by the tool's schema (the identity is what the tool will run with);
 * 2. the scope is the turn (default), the thread, or a function (`scope.ts`);
 * 3. the engine claims the key, and ToolNode's own `runTool` runs the tool with the key in its
 *    config (`getIdempotencyKey(config)`) and its run marked for callbacks as one the engine logs
 *    (`ENGINE_RUN_METADATA`, as unguarded tools run through the engine are);
 * 4. a ToolMessage is recorded as its content, artifact and status; a `Command` as its update,
 *    goto and graph (`recorded-output.ts`); an error-status ToolMessage is a failure and is not
 *    recorded as done; a graph interrupt passes through and releases the claim;
 * 5. a replay answers the CURRENT `tool_call_id`, carries `response_metadata.idempotency`, and
 *    emits the custom event `idempotency_replay`.
 *
 * Steps 3 to 5 are `guarded-tool-call.ts`, which langchain's `idempotencyMiddleware` runs too.
 */
import type { Idempotency, IdempotencyRecordedError } from "@agent-idempotency/core";
import { isIdempotencyError } from "@agent-idempotency/core";
import type { DynamicTool, StructuredToolInterface } from "@langchain/core/tools";
import type { RunnableToolLike } from "@langchain/core/runnables";
import type { ToolCall } from "@langchain/core/messages/tool";
import type { ToolMessage } from "@langchain/core/messages";
import type { Command, LangGraphRunnableConfig } from "@langchain/langgraph";
import { ToolNode } from "@langchain/langgraph/prebuilt";
import { engineRunConfig } from "./engine-run-metadata.js";
import { answerModelInputError, answerRecordedFailure, answerToolMessageFailure } from "./failure-answer.js";
import { withToolIdempotency } from "./get-idempotency-key.js";
import { runGuardedToolCall } from "./guarded-tool-call.js";
import type { IdempotentToolNodeOptions } from "./options.js";
import { resolveEngine } from "./options.js";
import { parseToolArgs } from "./parse-tool-args.js";
import type { ScopeOption } from "./scope.js";
import { resolveScope, threadIdOf, validateScopeOption } from "./scope.js";
import { isToolMessageFailure, recordedToolMessage } from "./tool-message-failure.js";

type Tools = (StructuredToolInterface | DynamicTool | RunnableToolLike)[];

/**
 * A drop-in `ToolNode` whose guarded tools run once per logical action: a retried node, a resumed
 * checkpoint, an interrupt's resume, or a model that repeats a call with a new `tool_call_id`
 * replays the recorded ToolMessage instead of running the side effect again. Tools without a
 * policy run exactly as in `ToolNode`.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "@agent-idempotency/core";
 * import { IdempotentToolNode, getIdempotencyKey } from "@agent-idempotency/langgraph";
 * import { tool } from "@langchain/core/tools";
 * import { AIMessage, HumanMessage } from "@langchain/core/messages";
 * import { MessagesAnnotation, StateGraph } from "@langchain/langgraph";
 * import { z } from "zod";
 *
 * let bookings = 0;
 * const book = tool(
 *   async ({ slot }, config) => `booked ${slot} #${++bookings} (key ${getIdempotencyKey(config)})`,
 *   { name: "book_calendar", description: "Book a slot", schema: z.object({ slot: z.string() }) },
 * );
 * const tools = new IdempotentToolNode([book], {
 *   idempotency: { store: new MemoryStore(), tools: { book_calendar: { identity: ["slot"] } } },
 * });
 * const graph = new StateGraph(MessagesAnnotation).addNode("tools", tools).addEdge("__start__", "tools").compile();
 * const call = (id: string) => new AIMessage({ content: "", tool_calls: [{ id, name: "book_calendar", args: { slot: "10:00" } }] });
 * const config = { configurable: { thread_id: "t-1" } };
 * await graph.invoke({ messages: [new HumanMessage({ id: "h-1", content: "book 10:00" }), call("c1")] }, config);
 * const out = await graph.invoke({ messages: [new HumanMessage({ id: "h-1", content: "book 10:00" }), call("c2")] }, config);
 * // bookings === 1; out.messages.at(-1) answers "c2" with response_metadata.idempotency.replayed === true
 * ```
 */
export class IdempotentToolNode<T = any> extends ToolNode<T> {
  /** The engine that guards the tools. */
  readonly idempotency: Idempotency;
  /** How keys are scoped. */
  readonly scope: ScopeOption;

  constructor(tools: Tools, options: IdempotentToolNodeOptions) {
    const { idempotency, scope, ...toolNodeOptions } = options ?? ({} as IdempotentToolNodeOptions);
    super(tools, toolNodeOptions);
    this.idempotency = resolveEngine(idempotency);
    this.scope = scope ?? "turn";
    validateScopeOption(this.scope);
  }

  protected override async runTool(call: ToolCall, config: LangGraphRunnableConfig, state: unknown): Promise<ToolMessage | Command> {
    const tool = this.tools.find((t) => t.name === call.name);
    if (tool === undefined) return super.runTool(call, withToolIdempotency(config, undefined), state);
    if (this.idempotency.policy(call.name) === undefined) {
      // Unguarded: runs untouched, but through the engine so the audit log lists it as unguarded
      // (and marked, so a callback handler leaves that entry to the engine).
      const run = () => super.runTool(call, engineRunConfig(config, undefined), state);
      return (await this.idempotency.run({ action: call.name, args: call.args, sessionId: threadIdOf(config), toolCallId: call.id }, run)).value;
    }
    const parsed = await parseToolArgs(tool, call.args);
    if (!parsed.ok) return super.runTool(call, withToolIdempotency(config, undefined), state);
    const scope = resolveScope(this.scope, config, state, call.name);
    return runGuardedToolCall(
      this.idempotency,
      { call, args: parsed.args, scope, signal: config.signal, config, state },
      (entry, signal) => super.runTool(call, engineRunConfig({ ...config, signal }, entry), state),
      (error) => this.failed(error, call, config),
    );
  }

  /** What a call that threw becomes: ToolNode's behaviour for tool failures, engine errors thrown. */
  private async failed(error: unknown, call: ToolCall, config: LangGraphRunnableConfig): Promise<ToolMessage> {
    if (isToolMessageFailure(error)) return answerToolMessageFailure(error, call);
    if (isIdempotencyError(error, "RECORDED_ERROR")) {
      const e = error as IdempotencyRecordedError;
      // A failure recorded from a thrown error is answered the way ToolNode answers tool errors,
      // unless handleToolErrors is off: then it is thrown, as the tool's error was.
      if (recordedToolMessage(e.recorded) !== undefined || this.handleToolErrors) {
        return answerRecordedFailure(e, call, { config }, (recorded) => `Error: ${recorded.message}\n Please fix your mistakes.`);
      }
    }
    // The model's arguments cannot be keyed or reuse a key with other arguments: like a schema
    // error, it goes back to the model to fix (when ToolNode hands errors back at all).
    const forModel = this.handleToolErrors ? answerModelInputError(error, call) : undefined;
    if (forModel !== undefined) return forModel;
    // The tool's own error with handleToolErrors off, an interrupt, or an engine error (store
    // down, still in progress): the node fails, so a retry policy or a resume can act.
    throw error;
  }
}
