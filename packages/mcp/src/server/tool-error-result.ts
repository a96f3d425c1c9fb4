/**
 * An MCP tool result with `isError: true` is a failure: recording it as done would replay the
 * failure on every retry. Inside the engine it travels as a thrown error, so the claim is released
 * (or, when the policy's `cacheErrors` says the failure is final, recorded as failed), and the
 * handler's own result goes back to the client unchanged.
 *
 * A plain `Error` named `McpToolErrorResult` (every error class of the project lives in core). Its
 * `data` is the result, so a failure recorded with `cacheErrors` replays as the same result.
 */
import type { RecordedError } from "@agent-idempotency/core";

/** The `name` of the error that carries an `isError` result through the engine. */
export const MCP_TOOL_ERROR_RESULT = "McpToolErrorResult";

/** An error carrying a tool's `isError: true` result. */
export type McpToolErrorResult<R> = Error & { name: typeof MCP_TOOL_ERROR_RESULT; data: R };

/** Wraps the `isError` result of `action`; the message says what failed, never with what. */
export function toolErrorResult<R>(result: R, action: string): McpToolErrorResult<R> {
  const error = new Error(`${action} returned an isError result`) as McpToolErrorResult<R>;
  error.name = MCP_TOOL_ERROR_RESULT;
  error.data = result;
  return error;
}

/** True for an error made by {@link toolErrorResult}. */
export function isToolErrorResult(error: unknown): error is McpToolErrorResult<unknown> {
  return error instanceof Error && error.name === MCP_TOOL_ERROR_RESULT && typeof (error as { data?: unknown }).data === "object";
}

/** The result a failure recorded with `cacheErrors` came from, if it was an `isError` result. */
export function recordedErrorResult(recorded: RecordedError | undefined): unknown {
  return recorded?.name === MCP_TOOL_ERROR_RESULT && typeof recorded.data === "object" && recorded.data !== null ? recorded.data : undefined;
}
