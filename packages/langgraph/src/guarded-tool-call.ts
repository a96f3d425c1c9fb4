/**
 * One guarded tool call through the engine: the part `IdempotentToolNode` and langchain's
 * `idempotencyMiddleware` share, so both write and replay the same records. Each caller adds how
 * its framework runs a tool (`run`) and answers a failure (`failed`):
 *
 * 1. the engine claims the key, and `run` runs the tool with it (`getIdempotencyKey(config)`);
 * 2. an error-status ToolMessage travels as a thrown {@link ToolMessageFailure}, so the claim is
 *    released (or the failure recorded, with `cacheErrors`) instead of recorded as done;
 * 3. an output is recorded as `recorded-output.ts` says; the policy's `responseId` receives the tool's
 *    own result from the output as it ran (`tool-result.ts`), never the recorded form, and the
 *    audit entry carries the call's turn (`turn-marker.ts`);
 * 4. the call that ran gets its own output back, annotated with `response_metadata.idempotency`;
 *    a replay gets the recorded output rebuilt for the CURRENT `tool_call_id`, the
 *    `idempotency_replay` event, and a run of its own in traces (`replay-run.ts`).
 */
import type { Idempotency, JsonSchema, RunResult } from "@agent-idempotency/core";
import type { ToolMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { Command } from "@langchain/langgraph";
import { isGraphBubbleUp } from "@langchain/langgraph";
import type { ToolIdempotency } from "./get-idempotency-key.js";
import type { IdempotencyMetadata } from "./recorded-output.js";
import { annotate, asRecordedOutput, isErrorToolMessage, recordOutput, replayOutput } from "./recorded-output.js";
import { emitReplay } from "./replay-event.js";
import { traceReplay } from "./replay-run.js";
import type { ResolvedScope } from "./scope.js";
import { toolMessageFailure } from "./tool-message-failure.js";
import { toolResultOf } from "./tool-result.js";
import { turnMarker } from "./turn-marker.js";

/**
 * A guarded tool call, as {@link runGuardedToolCall} takes it.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export interface GuardedToolCall {
  /** The model's call (its name and id). */
  call: ToolCall;
  /** Its arguments as the tool's schema parsed them: the identity. */
  args: unknown;
  /** The tool's input as JSON schema (`toolOutputSchema`), for the policy's `normalizeFromSchema`. */
  schema?: JsonSchema | undefined;
  /** The call's scope, from `resolveScope`. */
  scope: ResolvedScope;
  /** The caller's abort signal. */
  signal?: AbortSignal | undefined;
  /** The run a replay's event is dispatched on (callbacks, `streamEvents`). */
  config: RunnableConfig | undefined;
  /** Where a replay's event is written for `streamMode: "custom"`. Default: the config's writer. */
  writer?: ((chunk: unknown) => void) | null | undefined;
  /** The graph state, for the call's turn in the audit log (`turn-marker.ts`). */
  state?: unknown;
}

const UNREAD = Symbol("unread");

/** How the caller runs the tool: with the key (none when the engine gives none) and the lease's signal. */
type RunTool = (entry: ToolIdempotency | undefined, signal: AbortSignal) => Promise<ToolMessage | Command> | ToolMessage | Command;

/**
 * Runs `g` through `engine`: `run` runs the tool when the engine claims the key, and `failed`
 * answers whatever the engine throws (a failure, an interrupt, a refusal) or rethrows it.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export async function runGuardedToolCall(
  engine: Idempotency,
  g: GuardedToolCall,
  run: RunTool,
  failed: (error: unknown) => Promise<ToolMessage>,
): Promise<ToolMessage | Command> {
  const { call } = g;
  const toolCallId = call.id ?? "";
  let executed: ToolMessage | Command | undefined;
  let turn: string | undefined | typeof UNREAD = UNREAD;
  let result: RunResult<unknown>;
  try {
    result = await engine.run(
      {
        action: call.name,
        args: g.args,
        schema: g.schema,
        scope: g.scope.scope,
        sessionId: g.scope.sessionId,
        toolCallId: call.id,
        signal: g.signal,
        passthrough: isGraphBubbleUp,
        // Read only where the engine writes an audit entry or checks for repeats: most calls
        // (no audit sink, no live detection) never walk the messages for it.
        get turn() {
          if (turn === UNREAD) turn = turnMarker(g.state);
          return turn;
        },
        // responseId reads what the tool returned, not the form the store keeps.
        toolResult: (recorded) => toolResultOf(executed ?? recorded),
      },
      async ({ key, attempt, signal }) => {
        const out = await run(key === undefined ? undefined : { key, attempt }, signal);
        if (isErrorToolMessage(out)) throw toolMessageFailure(out, call.name, key ?? "", attempt);
        executed = out;
        return recordOutput(out, toolCallId);
      },
    );
  } catch (error) {
    return failed(error);
  }

  const meta: IdempotencyMetadata = { key: result.key ?? "", replayed: result.replayed, outcome: result.outcome, attempt: result.attempt };
  if (!result.replayed && executed !== undefined) return annotate(executed, toolCallId, meta);
  meta.recordedAt = result.recordedAt;
  const out = replayOutput(asRecordedOutput(result.value), { toolCallId, name: call.name, meta });
  // Promises only when there are callbacks to tell: a replay in a run without them awaits nothing.
  const emitted = emitReplay(g.config, { tool: call.name, key: meta.key, tool_call_id: toolCallId, outcome: meta.outcome, attempt: meta.attempt, recordedAt: meta.recordedAt }, g.writer);
  if (emitted !== undefined) await emitted;
  const traced = traceReplay(g.config, { kind: "tool", name: call.name, input: call.args, toolCallId, meta, output: out });
  if (traced !== undefined) await traced;
  return out;
}
