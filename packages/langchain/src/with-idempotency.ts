/**
 * `withIdempotency(tool, options)`: one tool, guarded on its own, for any loop that calls tools
 * directly (an older agent loop, a script, a queue worker).
 *
 * The returned tool has the original's name, description, schema, response format and metadata.
 * Its `_call` runs the original's `_call` inside the engine, so the schema is parsed once, the
 * output is formatted by LangChain exactly as the original would be (a ToolMessage answering the
 * CURRENT `tool_call_id` when invoked with a tool call, else the raw result), and callbacks see one
 * tool run per call. The engine records the original's raw result, and a policy's
 * `responseId: (r) => r.booking_id` reads the tool's own return value exactly as under the node and
 * the middleware (a content_and_artifact tool's artifact; JSON text parsed).
 */
import type { Idempotency, IdempotencyOptions, IdempotencyRecordedError, RunResult, ToolPolicy } from "@agent-idempotency/core";
import { IdempotencyKeyError, IdempotencyPolicyError, isIdempotencyError } from "@agent-idempotency/core";
import type { EngineRunMark, IdempotencyMetadata } from "@agent-idempotency/langgraph";
import {
  annotate,
  markEngineRun,
  parseToolArgs,
  resolveScope,
  runWithToolIdempotency,
  threadIdOf,
  toolOutputSchema,
  traceReplay,
  toolResultOf,
  withToolIdempotency,
} from "@agent-idempotency/langgraph/internal";
import { IDEMPOTENCY_REPLAY_EVENT, TRACE_METADATA } from "@agent-idempotency/langgraph";
import type { CallbackManagerForToolRun } from "@langchain/core/callbacks/manager";
import { parseCallbackConfigArg } from "@langchain/core/callbacks/manager";
import { ToolMessage } from "@langchain/core/messages";
import type { ToolRunnableConfig } from "@langchain/core/tools";
import { isStructuredTool, StructuredTool } from "@langchain/core/tools";
import { isGraphBubbleUp } from "@langchain/langgraph";
import { checkedToolEngine } from "./with-idempotency-check.js";

/** Options of {@link withIdempotency}. */
export interface WithIdempotencyOptions {
  /** An engine from `createIdempotency`, or the options to create one. */
  idempotency: Idempotency | IdempotencyOptions;
  /** This tool's policy. Default: the engine's policy for the tool's name, else all defaults. */
  policy?: ToolPolicy | true | undefined;
  /**
   * The session that keeps keys of different conversations apart, or a function of the run config.
   * Default: the config's `configurable.thread_id` (thread scope). One of the two is required.
   */
  sessionId?: string | ((config: ToolRunnableConfig) => string | undefined) | undefined;
  /**
   * `["schema-path"]`: an identity or normalize path the tool's schema does not declare is warned
   * about (through the engine's `onWarning`) instead of failing; for a schema looser than it says.
   */
  warnOnly?: readonly "schema-path"[] | undefined;
}

/** Where `call` leaves a slot for `_call` to report the call's idempotency metadata. */
const META_SLOT = Symbol("agent-idempotency.meta");
type SlotConfig = ToolRunnableConfig & { [META_SLOT]?: { meta?: IdempotencyMetadata } };

type AnyStructuredTool = StructuredTool & {
  _call(arg: unknown, runManager?: CallbackManagerForToolRun, config?: ToolRunnableConfig): Promise<unknown> | AsyncGenerator<unknown, unknown>;
};

/** The tool {@link withIdempotency} returns. @internal */
class IdempotentTool extends StructuredTool {
  static override lc_name() {
    return "IdempotentTool";
  }
  declare name: string;
  declare description: string;
  declare schema: StructuredTool["schema"];
  /** The engine guarding this tool. */
  readonly idempotency: Idempotency;
  readonly #inner: AnyStructuredTool;
  readonly #sessionId: WithIdempotencyOptions["sessionId"];

  constructor(inner: AnyStructuredTool, idempotency: Idempotency, sessionId: WithIdempotencyOptions["sessionId"]) {
    super({
      responseFormat: inner.responseFormat,
      verboseParsingErrors: inner.verboseParsingErrors,
      defaultConfig: inner.defaultConfig,
      metadata: inner.metadata,
      extras: inner.extras,
      callbacks: inner.callbacks,
      tags: inner.tags,
      verbose: inner.verbose,
    });
    this.name = inner.name;
    this.description = inner.description;
    this.schema = inner.schema;
    this.returnDirect = inner.returnDirect;
    this.idempotency = idempotency;
    this.#inner = inner;
    this.#sessionId = sessionId;
  }

  /** Starts the run with the engine's mark, and annotates the ToolMessage LangChain built. */
  override async call(arg: any, configArg?: any, tags?: string[]): Promise<any> {
    const config = { ...parseCallbackConfigArg(configArg) } as SlotConfig;
    config.runName ??= this.name; // as DynamicStructuredTool does, so traces show the tool's name
    const mark = await this.#markAtStart(arg, config);
    const marked: SlotConfig = mark === undefined ? config : markEngineRun(config, mark);
    // The key on the run for traces; the outcome is not known yet (a replay adds a run of its own).
    if (mark?.key !== undefined) marked.metadata = { ...marked.metadata, [TRACE_METADATA.key]: mark.key };
    const slot: { meta?: IdempotencyMetadata } = {};
    marked[META_SLOT] = slot;
    const out = await super.call(arg, marked, tags);
    if (slot.meta !== undefined && ToolMessage.isInstance(out)) annotate(out, out.tool_call_id, slot.meta);
    return out;
  }

  protected override async _call(args: unknown, runManager?: CallbackManagerForToolRun, config?: ToolRunnableConfig): Promise<unknown> {
    const cfg = (config ?? {}) as SlotConfig;
    const toolCallId = cfg.toolCall?.id;
    let result: RunResult<unknown>;
    try {
      result = await this.idempotency.run(
        { action: this.name, args, schema: toolOutputSchema(this.#inner), ...this.#scope(cfg), toolCallId, signal: cfg.signal, passthrough: isGraphBubbleUp, toolResult: (raw) => this.#toolResult(raw) },
        async ({ key, attempt, signal }) => {
          const runConfig = key === undefined ? cfg : withToolIdempotency(cfg, { key, attempt }, signal);
          // In the async context too, so getIdempotencyKey() without arguments finds it (a StructuredTool's _call).
          const raw = await runWithToolIdempotency(key === undefined ? undefined : { key, attempt }, () => this.#inner._call(args, runManager, runConfig));
          return isAsyncGenerator(raw) ? drain(raw, runManager) : raw;
        },
      );
    } catch (error) {
      if (isIdempotencyError(error, "RECORDED_ERROR")) {
        const e = error as IdempotencyRecordedError;
        await traceReplay(runManager, { kind: "tool", name: this.name, input: args, toolCallId, meta: { key: e.key, replayed: true, outcome: "failed", attempt: e.record?.attempt ?? 1 }, error });
      }
      throw error;
    }
    const meta: IdempotencyMetadata = { key: result.key ?? "", replayed: result.replayed, outcome: result.outcome, attempt: result.attempt };
    if (result.replayed) {
      meta.recordedAt = result.recordedAt;
      // A child of this tool run, tagged idempotency:replayed, so a trace shows the replay.
      await traceReplay(runManager, { kind: "tool", name: this.name, input: args, toolCallId, meta, output: result.value });
      try {
        // On this run, so callbacks (IdempotencyCallbackHandler) and streamEvents see the replay.
        await runManager?.handleCustomEvent(IDEMPOTENCY_REPLAY_EVENT, { tool: this.name, key: meta.key, tool_call_id: toolCallId ?? "", outcome: meta.outcome, attempt: meta.attempt, recordedAt: meta.recordedAt });
      } catch {
        // an event never changes a call's outcome
      }
    }
    const slot = cfg[META_SLOT];
    if (slot !== undefined) slot.meta = meta;
    return result.value;
  }

  /**
   * What `responseId` receives: the tool's own result as the node and the middleware give it
   * (`toolResultOf`), here from `_call`'s raw value: a content_and_artifact tool's artifact, JSON
   * text parsed, anything else as returned.
   */
  #toolResult(raw: unknown): unknown {
    if (this.#inner.responseFormat === "content_and_artifact" && Array.isArray(raw) && raw.length === 2) return raw[1];
    return toolResultOf(raw);
  }

  /** The session (and thread scope) of a call; throws {@link IdempotencyKeyError} when there is none. */
  #scope(config: ToolRunnableConfig): { scope?: string; sessionId: string } {
    const given = typeof this.#sessionId === "function" ? this.#sessionId(config) : this.#sessionId;
    if (typeof given === "string" && given !== "") return { sessionId: given };
    if (threadIdOf(config) === undefined) {
      throw new IdempotencyKeyError(
        `${this.name}: no session to scope its keys; pass withIdempotency(tool, { sessionId }) or invoke it with { configurable: { thread_id } }`,
      );
    }
    return resolveScope("thread", config, undefined, this.name);
  }

  /**
   * The mark for the run's callbacks (`ENGINE_RUN_METADATA`) when the engine will see the call, and
   * so log it; undefined when the call fails before (arguments the schema refuses, no session).
   */
  async #markAtStart(arg: unknown, config: ToolRunnableConfig): Promise<EngineRunMark | undefined> {
    const input = isToolCallLike(arg) ? arg.args : arg;
    const parsed = await parseToolArgs(this, input);
    if (!parsed.ok) return undefined;
    let scope: { scope?: string; sessionId: string };
    try {
      scope = this.#scope(config);
    } catch {
      return undefined;
    }
    try {
      return { guarded: true, key: this.idempotency.deriveKey({ action: this.name, args: parsed.args, schema: toolOutputSchema(this.#inner), ...scope })?.key };
    } catch {
      return { guarded: true }; // no key (a missing identity field): the engine logs the call as failed
    }
  }
}

/**
 * Returns `tool` guarded by the engine: same name, description and schema; a repeated invocation
 * with the same identity in the same session replays the recorded result instead of running again.
 * The key reaches the tool as `getIdempotencyKey(config)`. Every mistake in `options` (an unknown
 * option, a policy path the tool's schema lacks, the engine's own problems) throws one
 * `IdempotencyPolicyError` here, not on the first call.
 *
 * @example
 * ```ts
 * import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
 * import { getIdempotencyKey } from "@agent-idempotency/langgraph";
 * import { withIdempotency } from "@agent-idempotency/langchain";
 * import { tool } from "@langchain/core/tools";
 * import { z } from "zod";
 *
 * let charges = 0;
 * const charge = tool(async ({ amount }, config) => ({ charge_id: `ch_${++charges}`, key: getIdempotencyKey(config) }), {
 *   name: "charge_card", description: "Charge the card", schema: z.object({ order_id: z.string(), amount: z.number() }),
 * });
 * const guarded = withIdempotency(charge, {
 *   idempotency: { store: new MemoryStore() },
 *   policy: { identity: ["order_id"], responseId: (r) => r.charge_id },
 *   sessionId: "order-flow-42",
 * });
 * await guarded.invoke({ order_id: "o_1", amount: 40 });
 * await guarded.invoke({ order_id: "o_1", amount: 40 }); // replayed: charges === 1
 * ```
 */
export function withIdempotency<T extends StructuredTool>(tool: T, options: WithIdempotencyOptions): StructuredTool<T["schema"]> {
  if (!isStructuredTool(tool) || typeof (tool as unknown as Partial<AnyStructuredTool>)._call !== "function") {
    throw new IdempotencyPolicyError("[agent-idempotency] [langchain] withIdempotency needs a StructuredTool (tool(), DynamicStructuredTool or a StructuredTool subclass)");
  }
  const engine = checkedToolEngine(tool, options);
  return new IdempotentTool(tool as unknown as AnyStructuredTool, engine, options.sessionId) as unknown as StructuredTool<T["schema"]>;
}

/** LangChain's own test (`_isToolCall`): only `type: "tool_call"` makes an input a tool call. */
function isToolCallLike(x: unknown): x is { args: unknown } {
  return typeof x === "object" && x !== null && (x as { type?: unknown }).type === "tool_call";
}

function isAsyncGenerator(x: unknown): x is AsyncGenerator<unknown, unknown> {
  return typeof x === "object" && x !== null && typeof (x as AsyncGenerator).next === "function" && typeof (x as AsyncGenerator)[Symbol.asyncIterator] === "function";
}

/** Runs a streaming tool to its end inside the claim, forwarding its events as LangChain would. */
async function drain(gen: AsyncGenerator<unknown, unknown>, runManager?: CallbackManagerForToolRun): Promise<unknown> {
  for (;;) {
    const step = await gen.next();
    if (step.done) return step.value;
    try {
      await runManager?.handleToolEvent(step.value);
    } catch {
      // as LangChain does: a failing event consumer does not fail the tool
    }
  }
}
