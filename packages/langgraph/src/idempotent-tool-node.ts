/**
 * `IdempotentToolNode`: LangGraph's prebuilt `ToolNode`, with every tool the engine guards made
 * safe to retry. It overrides only ToolNode's per-call hook, `runTool(call, config, state)`, so
 * ToolNode keeps running the calls of one AI message in parallel, handling `Send` inputs, and
 * combining `Command`s; each guarded call goes through `idempotency.run`:
 *
 * 1. the arguments are parsed by the tool's schema (the identity is what the tool will run with);
 * 2. the scope is the turn (default), the thread, or a function (`scope.ts`);
 * 3. the engine claims the key, and ToolNode's own `runTool` runs the tool with the key in its
 *    config (`getIdempotencyKey(config)`);
 * 4. a ToolMessage is recorded as its content, artifact and status; a `Command` as its update,
 *    goto and graph (`recorded-output.ts`); an error-status ToolMessage is a failure and is not
 *    recorded as done; a graph interrupt passes through and releases the claim;
 * 5. a replay answers the CURRENT `tool_call_id`, carries `response_metadata.idempotency`, and
 *    emits the custom event `idempotency_replay`.
 */
import type { Idempotency, RunResult } from "@agent-idempotency/core";
import { IdempotencyRecordedError, isIdempotencyError } from "@agent-idempotency/core";
import type { DynamicTool, StructuredToolInterface } from "@langchain/core/tools";
import type { RunnableToolLike } from "@langchain/core/runnables";
import type { ToolCall } from "@langchain/core/messages/tool";
import { ToolMessage } from "@langchain/core/messages";
import type { Command, LangGraphRunnableConfig } from "@langchain/langgraph";
import { isGraphBubbleUp } from "@langchain/langgraph";
import { ToolNode } from "@langchain/langgraph/prebuilt";
import { withToolIdempotency } from "./get-idempotency-key.js";
import type { IdempotentToolNodeOptions } from "./options.js";
import { resolveEngine } from "./options.js";
import { parseToolArgs } from "./parse-tool-args.js";
import type { IdempotencyMetadata, RecordedOutput } from "./recorded-output.js";
import { annotate, isErrorToolMessage, isRecordedOutput, recordOutput, replayOutput } from "./recorded-output.js";
import { emitReplay } from "./replay-event.js";
import type { ScopeOption } from "./scope.js";
import { resolveScope, threadIdOf, validateScopeOption } from "./scope.js";
import { isToolMessageFailure, recordedToolMessage, toolMessageFailure } from "./tool-message-failure.js";

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
      // Unguarded: runs untouched, but through the engine so the audit log lists it as unguarded.
      const run = () => super.runTool(call, withToolIdempotency(config, undefined), state);
      return (await this.idempotency.run({ action: call.name, args: call.args, sessionId: threadIdOf(config), toolCallId: call.id }, run)).value;
    }
    const parsed = await parseToolArgs(tool, call.args);
    if (!parsed.ok) return super.runTool(call, withToolIdempotency(config, undefined), state);
    const { scope, sessionId } = resolveScope(this.scope, config, state, call.name);
    const toolCallId = call.id ?? "";

    let executed: ToolMessage | Command | undefined;
    let result: RunResult<unknown>;
    try {
      result = await this.idempotency.run(
        { action: call.name, args: parsed.args, scope, sessionId, toolCallId: call.id, signal: config.signal, passthrough: isGraphBubbleUp },
        async ({ key, attempt, signal }) => {
          const runConfig = withToolIdempotency({ ...config, signal }, key === undefined ? undefined : { key, attempt });
          const out = await super.runTool(call, runConfig, state);
          if (isErrorToolMessage(out)) throw toolMessageFailure(out, call.name, key ?? "", attempt);
          executed = out;
          return recordOutput(out, toolCallId);
        },
      );
    } catch (error) {
      return this.failed(error, call, config);
    }

    const meta: IdempotencyMetadata = { key: result.key ?? "", replayed: result.replayed, outcome: result.outcome, attempt: result.attempt };
    if (!result.replayed && executed !== undefined) return annotate(executed, toolCallId, meta);
    meta.recordedAt = result.recordedAt;
    const out = replayOutput(asRecorded(result.value), { toolCallId, name: call.name, meta });
    await emitReplay(config, { tool: call.name, key: meta.key, tool_call_id: toolCallId, outcome: meta.outcome, attempt: meta.attempt, recordedAt: meta.recordedAt });
    return out;
  }

  /** What a call that threw becomes: ToolNode's behaviour for tool failures, engine errors thrown. */
  private async failed(error: unknown, call: ToolCall, config: LangGraphRunnableConfig): Promise<ToolMessage> {
    const toolCallId = call.id ?? "";
    if (isToolMessageFailure(error)) {
      const own = error.toolMessage.tool_call_id === toolCallId;
      const meta: IdempotencyMetadata = { key: error.key, replayed: !own, outcome: "failed", attempt: error.attempt };
      if (own) return annotate(error.toolMessage, toolCallId, meta);
      // The leader of a single flight handed its final failure to a duplicate: answer the current id.
      return replayOutput(error.data, { toolCallId, name: call.name, meta }) as ToolMessage;
    }
    if (error instanceof IdempotencyRecordedError || isIdempotencyError(error, "RECORDED_ERROR")) {
      const e = error as IdempotencyRecordedError;
      const rec = recordedToolMessage(e.recorded);
      const record = e.record;
      const meta: IdempotencyMetadata = {
        key: e.key,
        replayed: true,
        outcome: "failed",
        attempt: record?.attempt ?? 1,
        recordedAt: record?.status === "failed" ? record.completedAt : undefined,
      };
      if (rec) {
        await emitReplay(config, { tool: call.name, key: e.key, tool_call_id: toolCallId, outcome: "failed", attempt: meta.attempt, recordedAt: meta.recordedAt });
        return replayOutput(rec, { toolCallId, name: call.name, meta }) as ToolMessage;
      }
      if (this.handleToolErrors) {
        // A failure recorded from a thrown error: answer it the way ToolNode answers tool errors.
        return new ToolMessage({ status: "error", content: `Error: ${e.message}\n Please fix your mistakes.`, name: call.name, tool_call_id: toolCallId, response_metadata: { idempotency: meta } });
      }
    }
    if (this.handleToolErrors && isModelInputError(error)) {
      // The model's arguments cannot be keyed (a missing identity field, arguments too large) or
      // reuse a key with other arguments: like a schema error, it goes back to the model to fix.
      const meta: IdempotencyMetadata = { key: (error as { key?: string }).key ?? "", replayed: false, outcome: "failed", attempt: 1 };
      return new ToolMessage({ status: "error", content: `Error: ${(error as Error).message}\n Please fix your mistakes.`, name: call.name, tool_call_id: toolCallId, response_metadata: { idempotency: meta } });
    }
    // The tool's own error with handleToolErrors off, an interrupt, or an engine error (store
    // down, still in progress): the node fails, so a retry policy or a resume can act.
    throw error;
  }
}

/** Errors caused by what the model sent, not by the store or the configuration. */
function isModelInputError(error: unknown): boolean {
  return isIdempotencyError(error, "KEY_INVALID") || isIdempotencyError(error, "RECORD_TOO_LARGE") || isIdempotencyError(error, "PAYLOAD_MISMATCH");
}

/** A recorded value as an output; a value recorded by something else replays as plain content. */
function asRecorded(value: unknown): RecordedOutput {
  if (isRecordedOutput(value)) return value;
  return { kind: "tool_message", content: typeof value === "string" ? value : JSON.stringify(value ?? null), status: "success" };
}
