export { mcpServerIdempotency } from "./server-idempotency.js";
export type { McpRequestExtra, McpServerIdempotency, McpServerIdempotencyOptions, McpToolCallContext, McpToolResult } from "./server-idempotency.js";
export { isToolErrorResult, MCP_TOOL_ERROR_RESULT } from "./tool-error-result.js";
export type { McpToolErrorResult } from "./tool-error-result.js";
export { MCP_IDEMPOTENCY_KEY_META, MCP_IDEMPOTENCY_REPLAYED_META } from "../meta-key.js";
