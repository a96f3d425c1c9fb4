/**
 * The arguments a tool will actually run with: its zod schema's parse (defaults applied, unknown
 * keys stripped, coercions done), the same parse `StructuredTool.call` does. Keys are computed from
 * these, so what a model adds or omits cosmetically does not change the key. A JSON-schema tool
 * only validates (it runs with the raw arguments), so its raw arguments are the identity.
 *
 * The parse is synchronous when the schema allows it (no async refinement or transform): the
 * same result as `parseAsync`, without its promises on every guarded call. A schema that needs
 * `parseAsync`, or arguments the synchronous parse rejects, go through `parseAsync`, which decides.
 */
import { interopParseAsync, interopSafeParse, isInteropZodSchema } from "@langchain/core/utils/types";

/**
 * The parsed arguments, or `ok: false` when the tool's own schema rejects them.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export type ParsedArgs = { ok: true; args: unknown } | { ok: false };

/**
 * Parses `args` with the tool's schema, as the tool itself will: synchronously when it can.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function parseToolArgs(tool: unknown, args: unknown): ParsedArgs | Promise<ParsedArgs> {
  const schema = (tool as { schema?: unknown } | undefined)?.schema;
  if (schema === undefined || !isInteropZodSchema(schema)) return { ok: true, args };
  try {
    const now = interopSafeParse(schema, args);
    if (now.success) return { ok: true, args: now.data };
  } catch {
    // zod 3 throws when a synchronous parse meets an async refinement
  }
  return parseAsync(schema, args);
}

async function parseAsync(schema: Parameters<typeof interopParseAsync>[0], args: unknown): Promise<ParsedArgs> {
  try {
    return { ok: true, args: await interopParseAsync(schema, args) };
  } catch {
    // The tool will reject them too (ToolInputParsingException) without running: nothing to guard.
    return { ok: false };
  }
}
