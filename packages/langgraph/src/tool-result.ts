/**
 * The tool's own result, out of what a framework made of it, for a policy's `responseId`: the same
 * value whether the call ran under `IdempotentToolNode`, `idempotencyMiddleware`, `withIdempotency`
 * or the observe-only callback handler, so `responseId: (r) => r.booking_id` works in all of them.
 *
 * | the tool's output                     | `responseId` receives                                   |
 * | ------------------------------------- | ------------------------------------------------------- |
 * | a ToolMessage with an `artifact`      | the artifact (`responseFormat: "content_and_artifact"`) |
 * | a ToolMessage                         | its content, parsed when it is JSON text of an object or array (LangChain stringifies what a tool returns); a single text block is read the same way |
 * | a `Command`                           | its `update`                                            |
 * | a string                              | parsed the same way                                     |
 * | anything else (a raw result)          | as is                                                   |
 *
 * Only objects and arrays are parsed: `"42"` stays the string `"42"`.
 */
import { ToolMessage } from "@langchain/core/messages";
import type { Command } from "@langchain/langgraph";
import { isCommand } from "@langchain/langgraph";

function fromJsonText(text: string): unknown {
  const t = text.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return text;
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}

function fromContent(content: unknown): unknown {
  if (typeof content === "string") return fromJsonText(content);
  if (Array.isArray(content) && content.length === 1) {
    const block = content[0] as { type?: unknown; text?: unknown } | null;
    if (block?.type === "text" && typeof block.text === "string") return fromJsonText(block.text);
  }
  return content;
}

/**
 * The tool's own result in `output` (see the table above).
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 *
 * @example
 * ```ts
 * toolResultOf(new ToolMessage({ content: '{"booking_id":"b_1"}', tool_call_id: "c1" })); // { booking_id: "b_1" }
 * ```
 */
export function toolResultOf(output: unknown): unknown {
  if (ToolMessage.isInstance(output)) return output.artifact !== undefined ? output.artifact : fromContent(output.content);
  if (isCommand(output)) return (output as Command).update;
  if (typeof output === "string") return fromJsonText(output);
  return output;
}
