/**
 * `@agent-idempotency/mcp/server`: `mcpServerIdempotency` for servers built with the MCP SDK. It
 * claims, replays and audits the key a client sends in `_meta` (or one derived from the arguments).
 * Imports nothing from LangChain.
 *
 * @packageDocumentation
 */

export { mcpServerIdempotency } from "./server-idempotency.js";
export type { McpRequestExtra, McpServerIdempotency, McpServerIdempotencyOptions, McpToolCallContext, McpToolResult } from "./server-idempotency.js";
export { isToolErrorResult, MCP_TOOL_ERROR_RESULT } from "./tool-error-result.js";
export type { McpToolErrorResult } from "./tool-error-result.js";
export { MCP_IDEMPOTENCY_KEY_META, MCP_IDEMPOTENCY_REPLAYED_META } from "../meta-key.js";
