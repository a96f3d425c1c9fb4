/**
 * How a replay shows in a LangSmith trace (or to any LangChain callback); what an executed call's
 * run carries is `trace-metadata.ts`.
 *
 * A replay does not run the tool, so there is no tool run to mark. The call gets a run of its
 *   own instead, where the tool's run would have been (a child of the tools node, of the tool
 *   run for `withIdempotency`, of the task's run for `idempotentTask`): named after the tool,
 *   tagged `idempotency:replayed`, with the same metadata (outcome `replayed`), the call's
 *   arguments as input and the replayed answer as output. A trace then still has one tool run per
 *   tool call, and says which ones were replays.
 *
 * A trace never changes a call's outcome: failures to report are swallowed.
 */
import type { Serialized } from "@langchain/core/load/serializable";
import { CallbackManager } from "@langchain/core/callbacks/manager";
import type { RunnableConfig } from "@langchain/core/runnables";
import { ENGINE_RUN_METADATA } from "./engine-run-metadata.js";
import type { IdempotencyMetadata } from "./recorded-output.js";
import { REPLAY_TAG, withTraceMetadata } from "./trace-metadata.js";

/** The run a replay is reported as. */
export interface ReplayRun {
  /** `"tool"` under a tool call, `"chain"` under a functional-API task. */
  kind: "tool" | "chain";
  /** The run's name: the tool's (or the task's), so the trace reads like a run of it. */
  name: string;
  /** The call's arguments. */
  input: unknown;
  /** The current call's id, when a tool call is answered. */
  toolCallId?: string | undefined;
  /** The idempotency metadata the run carries, as the answer's ToolMessages do. */
  meta: IdempotencyMetadata;
  /** The replayed answer; or `error`, for a recorded failure rethrown. */
  output?: unknown;
  /** The recorded failure the run ends in, instead of `output`. */
  error?: unknown;
}

/** Where a replay's run goes: the run config it happens under, or a run's manager for its children. */
type Parent = RunnableConfig | { getChild(): CallbackManager } | undefined;

/**
 * Reports a replay as a run of its own under `parent` (see the file comment).
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function traceReplay(parent: Parent, run: ReplayRun): Promise<void> | undefined {
  // No run to report under: nobody is listening, and there is nothing to build or await.
  if (typeof (parent as { getChild?: unknown } | undefined)?.getChild !== "function" && (parent as RunnableConfig | undefined)?.callbacks === undefined) return undefined;
  return report(parent, run);
}

async function report(parent: Parent, run: ReplayRun): Promise<void> {
  try {
    const local = withTraceMetadata({ [ENGINE_RUN_METADATA]: { guarded: true, key: run.meta.key, replayed: true } }, run.meta);
    let manager: CallbackManager | undefined;
    if (parent !== undefined && typeof (parent as { getChild?: unknown }).getChild === "function") {
      manager = (parent as { getChild(): CallbackManager }).getChild();
      manager.addTags([REPLAY_TAG], false);
      manager.addMetadata(local, false);
    } else {
      const config = parent as RunnableConfig | undefined;
      if (config?.callbacks === undefined) return; // no run to report under: nobody is listening
      manager = CallbackManager.configure(config.callbacks, undefined, config.tags, [REPLAY_TAG], config.metadata, local);
    }
    if (manager === undefined) return;
    const serialized: Serialized = { lc: 1, type: "not_implemented", id: ["agent_idempotency", "replay", run.name] };
    if (run.kind === "tool") {
      const rm = await manager.handleToolStart(serialized, run.input as string, undefined, undefined, undefined, undefined, run.name, run.toolCallId);
      await (run.error !== undefined ? rm.handleToolError(run.error) : rm.handleToolEnd(run.output));
    } else {
      const rm = await manager.handleChainStart(serialized, { input: run.input }, undefined, undefined, undefined, undefined, run.name);
      await (run.error !== undefined ? rm.handleChainError(run.error) : rm.handleChainEnd({ output: run.output }));
    }
  } catch {
    // A trace never changes a call's outcome.
  }
}
