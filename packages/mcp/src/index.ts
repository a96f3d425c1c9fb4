/**
 * `@agent-idempotency/mcp`: MCP tools that are safe to retry. On the agent side
 * (`idempotentMcpTools`, `forwardIdempotencyKey`), each guarded call's key travels in the
 * `tools/call` request's `_meta`; on the server side (`mcpServerIdempotency`, also in
 * `@agent-idempotency/mcp/server`, which loads no LangChain), the server claims, replays and audits it.
 *
 * @packageDocumentation
 */

export { MCP_IDEMPOTENCY_KEY_META, MCP_IDEMPOTENCY_REPLAYED_META } from "./meta-key.js";
export { bindIdempotencyKey, forwardIdempotencyKey } from "./client/forward-key.js";
export type { CallToolClient, ForwardKeyOptions } from "./client/forward-key.js";
export { idempotentMcpTools } from "./client/idempotent-mcp-tools.js";
export type { IdempotentMcpToolsOptions, McpToolSource } from "./client/idempotent-mcp-tools.js";
export { mcpToolAnnotations, mcpToolPolicies } from "./client/tool-policies.js";
export type { McpToolAnnotations, McpToolPoliciesOptions } from "./client/tool-policies.js";
export { isToolErrorResult, MCP_TOOL_ERROR_RESULT, mcpServerIdempotency } from "./server/index.js";
export type { McpRequestExtra, McpServerIdempotency, McpServerIdempotencyOptions, McpToolCallContext, McpToolErrorResult, McpToolResult } from "./server/index.js";
