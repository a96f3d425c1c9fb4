/**
 * An error-status ToolMessage is a failure: ToolNode (with `handleToolErrors`, the default) turns a
 * thrown tool error into one, and a tool may return one itself. Recording it as done would replay
 * the failure on every retry, so inside the engine it travels as a thrown error: the claim is
 * released (or, if the policy's `cacheErrors` says the failure is final, recorded as failed), and
 * the node hands the message back as ToolNode would have.
 *
 * The error is a plain `Error` named `ToolMessageError` (no class of its own: every error class
 * lives in core). Its `data` is the recorded form of the message, so a failure recorded with
 * `cacheErrors` replays as the same error ToolMessage under the current `tool_call_id`.
 */
import type { RecordedError } from "@agent-idempotency/core";
import type { ToolMessage } from "@langchain/core/messages";
import type { RecordedToolMessage } from "./recorded-output.js";
import { isRecordedOutput, recordToolMessage } from "./recorded-output.js";

/** The `name` of the error that carries an error-status ToolMessage through the engine. */
export const TOOL_MESSAGE_ERROR = "ToolMessageError";

/**
 * An error carrying an error-status ToolMessage, with the key and attempt of the call.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export type ToolMessageFailure = Error & {
  name: typeof TOOL_MESSAGE_ERROR;
  data: RecordedToolMessage;
  toolMessage: ToolMessage;
  key: string;
  attempt: number;
};

/**
 * Wraps an error-status ToolMessage of `action` so the engine releases the claim (or records the
 * failure with `cacheErrors`) instead of recording it done; the message says what failed, not with what.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function toolMessageFailure(msg: ToolMessage, action: string, key: string, attempt: number): ToolMessageFailure {
  const error = new Error(`${action} returned an error ToolMessage`) as ToolMessageFailure;
  error.name = TOOL_MESSAGE_ERROR;
  error.data = recordToolMessage(msg);
  // Not enumerable: the engine records `data`, never the live message object or our bookkeeping.
  for (const [k, value] of Object.entries({ toolMessage: msg, key, attempt })) Object.defineProperty(error, k, { value, enumerable: false });
  return error;
}

/**
 * True for an error made by {@link toolMessageFailure}.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function isToolMessageFailure(error: unknown): error is ToolMessageFailure {
  return error instanceof Error && error.name === TOOL_MESSAGE_ERROR && isRecordedOutput((error as { data?: unknown }).data);
}

/**
 * The recorded ToolMessage of a failure recorded with `cacheErrors`, if it is one.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function recordedToolMessage(recorded: RecordedError | undefined): RecordedToolMessage | undefined {
  if (recorded?.name !== TOOL_MESSAGE_ERROR) return undefined;
  const data = recorded.data as RecordedToolMessage | undefined;
  return data?.kind === "tool_message" ? data : undefined;
}
