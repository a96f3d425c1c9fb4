/**
 * What a guarded call that failed answers the model with, where `IdempotentToolNode` and langchain's
 * `idempotencyMiddleware` agree. What they do not share is how a thrown tool error is worded
 * (ToolNode writes `Error: <message>`, createAgent `String(error)`) and which errors stay
 * exceptions; each passes its own wording in and rethrows the rest.
 */
import type { Idempotency, IdempotencyRecordedError, RecordedError } from "@agent-idempotency/core";
import { isIdempotencyError } from "@agent-idempotency/core";
import { ToolMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { ToolIdempotency } from "./get-idempotency-key.js";
import type { IdempotencyMetadata, RecordedToolMessage } from "./recorded-output.js";
import { annotate, replayOutput } from "./recorded-output.js";
import { emitReplay } from "./replay-event.js";
import { traceReplay } from "./replay-run.js";
import type { ResolvedScope } from "./scope.js";
import type { ToolMessageFailure } from "./tool-message-failure.js";
import { recordedToolMessage } from "./tool-message-failure.js";

/**
 * The answer to a call whose tool gave an error ToolMessage: that message, annotated; or, for a
 * duplicate the single-flight leader handed its failure to, the same message for the current id.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function answerToolMessageFailure(error: ToolMessageFailure, call: ToolCall): ToolMessage {
  const toolCallId = call.id ?? "";
  const own = error.toolMessage.tool_call_id === toolCallId;
  const meta: IdempotencyMetadata = { key: error.key, replayed: !own, outcome: "failed", attempt: error.attempt };
  if (own) return annotate(error.toolMessage, toolCallId, meta);
  return replayOutput(error.data, { toolCallId, name: call.name, meta }) as ToolMessage;
}

/** Where a replay's event goes (see `emitReplay`). */
interface ReplayChannels {
  config: RunnableConfig | undefined;
  writer?: ((chunk: unknown) => void) | null | undefined;
}

/**
 * The replay of a failure recorded with `cacheErrors`, with the `idempotency_replay` event and a
 * run of its own in traces, ending in the recorded error (`replay-run.ts`): the
 * recorded error ToolMessage, or for an error recorded from a thrown error, an error ToolMessage
 * whose content `words(recorded)` gives (as the framework worded the first answer).
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export async function answerRecordedFailure(error: IdempotencyRecordedError, call: ToolCall, channels: ReplayChannels, words: (recorded: RecordedError) => string): Promise<ToolMessage> {
  const toolCallId = call.id ?? "";
  const record = error.record;
  const meta: IdempotencyMetadata = {
    key: error.key,
    replayed: true,
    outcome: "failed",
    attempt: record?.attempt ?? 1,
    recordedAt: record?.status === "failed" ? record.completedAt : undefined,
  };
  await emitReplay(channels.config, { tool: call.name, key: error.key, tool_call_id: toolCallId, outcome: "failed", attempt: meta.attempt, recordedAt: meta.recordedAt }, channels.writer);
  const recordedMessage = recordedToolMessage(error.recorded);
  const rec: RecordedToolMessage = recordedMessage ?? { kind: "tool_message", content: words(error.recorded), status: "error" };
  // A recorded error ToolMessage: the trace shows what the model read, not the wrapper's words.
  const traced = recordedMessage ? Object.assign(new Error(typeof rec.content === "string" ? rec.content : JSON.stringify(rec.content)), { name: error.name }) : error;
  await traceReplay(channels.config, { kind: "tool", name: call.name, input: call.args, toolCallId, meta, error: traced });
  return replayOutput(rec, { toolCallId, name: call.name, meta }) as ToolMessage;
}

/**
 * For an error caused by what the model sent (a missing identity field, arguments too large, a
 * key reused with other arguments) or a repeat live detection refused, the error ToolMessage that
 * sends it back to the model, like a schema error; undefined for any other error (the store, the
 * configuration).
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function answerModelInputError(error: unknown, call: ToolCall): ToolMessage | undefined {
  const forModel = ["KEY_INVALID", "RECORD_TOO_LARGE", "PAYLOAD_MISMATCH", "REPEAT_REFUSED"] as const;
  if (!forModel.some((code) => isIdempotencyError(error, code))) return undefined;
  const meta: IdempotencyMetadata = { key: (error as { key?: string }).key ?? "", replayed: false, outcome: "failed", attempt: 1 };
  return new ToolMessage({
    status: "error",
    content: `Error: ${(error as Error).message}\n Please fix your mistakes.`,
    name: call.name,
    tool_call_id: call.id ?? "",
    response_metadata: { idempotency: meta },
  });
}

/**
 * `response_metadata.idempotency` of the error answer to a guarded call whose tool threw: the key
 * the tool was handed (`ran`); or, for a single-flight waiter handed its leader's error (the tool
 * did not run for it), the key derived again, marked replayed. Called only when an answer is made.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function thrownErrorMeta(engine: Idempotency, ran: ToolIdempotency | undefined, call: ToolCall, args: unknown, scope: ResolvedScope): IdempotencyMetadata {
  if (ran !== undefined) return { key: ran.key, replayed: false, outcome: "failed", attempt: ran.attempt };
  let key = "";
  try {
    key = engine.deriveKey({ action: call.name, args, scope: scope.scope, sessionId: scope.sessionId })?.key ?? "";
  } catch {
    // The leader derived the same key, so this cannot fail; if it did, the answer still goes back.
  }
  return { key, replayed: true, outcome: "failed", attempt: 1 };
}
