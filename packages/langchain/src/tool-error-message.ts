/**
 * What a failed tool call becomes under `createAgent`, exactly as without any middleware.
 *
 * langchain 1.5's agent ToolNode converts a tool's error into an error ToolMessage only when no
 * `wrapToolCall` middleware is present; an error that leaves a middleware is wrapped in
 * `MiddlewareError` and crashes the run (only `ToolInvocationError`, a schema mismatch, is unwrapped
 * and converted). So `idempotencyMiddleware` answers a thrown tool error itself, with the same
 * message the ToolNode's default `handleToolErrors` builds, and rethrows what the ToolNode would
 * rethrow or converts itself.
 */
import { isIdempotencyError } from "@agent-idempotency/core";
import type { ToolCall } from "@langchain/core/messages/tool";
import { ToolMessage } from "@langchain/core/messages";
import { isGraphBubbleUp } from "@langchain/langgraph";
import { ToolInvocationError } from "langchain";

/**
 * The error ToolMessage for `error`, or throws `error` when it must stay an exception:
 * - interrupts and other graph bubble-ups (a human-in-the-loop pause is not a tool failure);
 * - a run being aborted (the caller asked to stop);
 * - `ToolInvocationError` (arguments the schema rejects): the ToolNode converts it itself, with
 *   its own `handleToolErrors`, exactly as without middleware;
 * - the engine's own refusals (no scope, store down, still in progress): fail closed, as
 *   `IdempotentToolNode` does, so the run stops instead of the model guessing.
 * @internal
 */
export function toolErrorMessage(error: unknown, call: ToolCall, signal?: AbortSignal): ToolMessage {
  if (isGraphBubbleUp(error) || signal?.aborted || ToolInvocationError.isInstance(error) || isIdempotencyError(error)) throw error;
  // langchain 1.5 `defaultHandleToolErrors`: `${error}` is "Error: message" for an Error.
  return new ToolMessage({ content: `${error}\n Please fix your mistakes.`, tool_call_id: call.id as string, name: call.name, status: "error" });
}
