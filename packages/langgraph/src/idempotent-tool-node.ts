/**
 * `IdempotentToolNode`: LangGraph's prebuilt `ToolNode`, with every tool the engine guards made
 * safe to retry. It overrides only ToolNode's per-call hook, `runTool(call, config, state)`, so
 * ToolNode keeps running the calls of one AI message in parallel, handling `Send` inputs, and
 * combining `Command`s; each guarded call goes through `idempotency.run`:
 *
 * 1. the arguments are parsed by the tool's schema (the identity is what the tool will run with);
 * 2. the scope is the tool policy's `scope`, else the node's option: the turn (default), the
 *    thread, or a function (`scope.ts`), falling back instead of throwing where ToolNode runs;
 * 3. the engine claims the key, and ToolNode's own `runTool` runs the tool with the key in its
 *    config and async context (`getIdempotencyKey()`) and its run marked for callbacks as one the
 *    engine logs (`ENGINE_RUN_METADATA`, as unguarded tools run through the engine are). It runs
 *    with `handleToolErrors` off, so the engine (and `cacheErrors`) sees the tool's own error; the
 *    node then answers it exactly as ToolNode would;
 * 4. a ToolMessage is recorded as its content, artifact and status; a `Command` as its update,
 *    goto and graph (`recorded-output.ts`); an error-status ToolMessage is a failure and is not
 *    recorded as done; a graph interrupt passes through and releases the claim;
 * 5. a replay answers the CURRENT `tool_call_id`, carries `response_metadata.idempotency`, and
 *    emits the custom event `idempotency_replay`.
 *
 * Steps 3 to 5 are `guarded-tool-call.ts`, which langchain's `idempotencyMiddleware` runs too.
 * The constructor checks the policies against the tools (`construction-check.ts`).
 */
import type { Idempotency, IdempotencyRecordedError } from "@agent-idempotency/core";
import { isIdempotencyError } from "@agent-idempotency/core";
import type { DynamicTool, StructuredToolInterface } from "@langchain/core/tools";
import type { RunnableToolLike } from "@langchain/core/runnables";
import type { ToolCall } from "@langchain/core/messages/tool";
import { ToolMessage } from "@langchain/core/messages";
import type { Command, LangGraphRunnableConfig } from "@langchain/langgraph";
import { isGraphDrained, isGraphInterrupt } from "@langchain/langgraph";
import { ToolNode } from "@langchain/langgraph/prebuilt";
import type { ConstructionCheck } from "./construction-check.js";
import { checkedEngine } from "./construction-check.js";
import { engineRunConfig } from "./engine-run-metadata.js";
import { answerModelInputError, answerRecordedFailure, answerToolMessageFailure, thrownErrorMeta } from "./failure-answer.js";
import type { ToolIdempotency } from "./get-idempotency-key.js";
import { runWithToolIdempotency, withToolIdempotency } from "./get-idempotency-key.js";
import { runGuardedToolCall } from "./guarded-tool-call.js";
import type { IdempotentToolNodeOptions } from "./options.js";
import { IDEMPOTENT_TOOL_NODE_OPTION_FIELDS } from "./options.js";
import { parseToolArgs } from "./parse-tool-args.js";
import type { IdempotencyMetadata } from "./recorded-output.js";
import type { ScopeFallback, ScopeOption } from "./scope.js";
import { resolveScope, threadIdOf } from "./scope.js";
import { toolOutputSchema } from "./schema-normalize.js";
import { isToolMessageFailure, recordedToolMessage } from "./tool-message-failure.js";

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
  /** How keys of tools whose policy sets no `scope` are scoped. */
  readonly scope: ScopeOption;
  /** Construction checks that only warned. */
  readonly warnOnly: readonly ConstructionCheck[];
  /** Scope fallbacks already warned about: once per node and kind. */
  readonly #warned = new Set<ScopeFallback>();
  /** This node with `handleToolErrors` off (`#strict`). */
  #strictView: this | undefined;

  /**
   * @throws {IdempotencyPolicyError} naming every problem: unknown options, the engine's options,
   * a policy for a tool not in `tools`, an identity or normalize path a tool's schema lacks.
   */
  constructor(tools: (StructuredToolInterface | DynamicTool | RunnableToolLike)[], options: IdempotentToolNodeOptions) {
    const { idempotency: _engine, scope: _scope, warnOnly: _warnOnly, ...toolNodeOptions } = options ?? ({} as IdempotentToolNodeOptions);
    super(tools, toolNodeOptions);
    const checked = checkedEngine("IdempotentToolNode", "langgraph", options, IDEMPOTENT_TOOL_NODE_OPTION_FIELDS, tools);
    this.idempotency = checked.engine;
    this.scope = checked.scope;
    this.warnOnly = checked.warnOnly;
  }

  /**
   * ToolNode's per-call hook: a guarded call goes through `idempotency.run` (claim, run or replay,
   * record); an unguarded one runs untouched, through the engine only to be logged.
   */
  protected override async runTool(call: ToolCall, config: LangGraphRunnableConfig, state: unknown): Promise<ToolMessage | Command> {
    const tool = this.tools.find((t) => t.name === call.name);
    if (tool === undefined) return super.runTool(call, withToolIdempotency(config, undefined), state);
    const policy = this.idempotency.policy(call.name);
    if (policy === undefined) {
      // Unguarded: runs untouched, but through the engine so the audit log lists it as unguarded
      // (and marked, so a callback handler leaves that entry to the engine).
      const run = () => runWithToolIdempotency(undefined, () => super.runTool(call, engineRunConfig(config, undefined), state));
      return (await this.idempotency.run({ action: call.name, args: call.args, sessionId: threadIdOf(config), toolCallId: call.id, signal: config.signal }, run)).value;
    }
    const parsed = await parseToolArgs(tool, call.args);
    if (!parsed.ok) return super.runTool(call, withToolIdempotency(config, undefined), state);
    const scope = resolveScope(policy.scope ?? this.scope, config, state, call.name, { args: parsed.args, invocation: config, onFallback: this.#onFallback });
    let ran: ToolIdempotency | undefined;
    return runGuardedToolCall(
      this.idempotency,
      { call, args: parsed.args, schema: toolOutputSchema(tool), scope, signal: config.signal, config, state },
      (entry, signal) => {
        ran = entry;
        return runWithToolIdempotency(entry, () => super.runTool.call(this.#strict(), call, engineRunConfig(config, entry, signal), state));
      },
      (error) => this.failed(error, call, config, () => thrownErrorMeta(this.idempotency, ran, call, parsed.args, scope)),
    );
  }

  /**
   * This node with `handleToolErrors` off, for ToolNode's own `runTool`: a tool's error then
   * reaches the engine as itself (its status, its code) for `cacheErrors`, once; `failed` answers
   * it as ToolNode does. A view (this node as its prototype, the one flag its own) rather than a
   * copy of ToolNode's body: its runTool reads only `tools` and `handleToolErrors` from `this`
   * (LangGraph 1.7), and the compatibility suite (tests/toolnode-compat.test.ts) fails if a later
   * version reads more. Made once per node.
   */
  #strict(): this {
    return (this.#strictView ??= Object.create(this, { handleToolErrors: { value: false } }) as this);
  }

  #onFallback = (fallback: ScopeFallback, message: string): void => {
    if (this.#warned.has(fallback)) return;
    this.#warned.add(fallback);
    this.idempotency.warn(`IdempotentToolNode: ${message}`);
  };

  /** What a call that threw becomes: ToolNode's behaviour for tool failures, engine errors thrown. */
  private async failed(error: unknown, call: ToolCall, config: LangGraphRunnableConfig, meta: () => IdempotencyMetadata): Promise<ToolMessage> {
    if (isToolMessageFailure(error)) return answerToolMessageFailure(error, call);
    if (!isIdempotencyError(error)) {
      // The tool's own error (or a final one a single-flight leader handed over), answered exactly
      // as ToolNode answers it: thrown when handleToolErrors is off, interrupts always thrown.
      if (!this.handleToolErrors || isGraphInterrupt(error) || isGraphDrained(error)) throw error;
      return new ToolMessage({
        status: "error",
        content: `Error: ${(error as Error)?.message}\n Please fix your mistakes.`,
        name: call.name,
        tool_call_id: call.id ?? "",
        response_metadata: { idempotency: meta() },
      });
    }
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
