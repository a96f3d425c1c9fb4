/**
 * The tool's input schema as JSON schema, for the engine's `normalizeFromSchema`: core reads no
 * zod, so a zod schema is converted here, once per tool (`toJsonSchema` from `@langchain/core`,
 * which describes what the parse outputs: the arguments the key is computed from). A tool given a
 * JSON schema hands it over as it is. A schema that cannot be converted (a transform, a custom
 * type) gives none: the policy's own normalizers still apply, nothing is derived.
 */
import type { JsonSchema } from "@agent-idempotency/core";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { isInteropZodSchema } from "@langchain/core/utils/types";

const cache = new WeakMap<object, JsonSchema | null>();

/**
 * The JSON schema of `tool`'s input, or undefined when it has none that converts.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function toolJsonSchema(tool: unknown): JsonSchema | undefined {
  const schema = (tool as { schema?: unknown } | undefined)?.schema;
  if (schema === null || typeof schema !== "object") return undefined;
  let json = cache.get(schema);
  if (json === undefined) {
    try {
      json = isInteropZodSchema(schema) ? (toJsonSchema(schema) as JsonSchema) : (schema as JsonSchema);
    } catch {
      json = null;
    }
    cache.set(schema, json);
  }
  return json ?? undefined;
}
