/**
 * The tool's input schema as JSON schema, for the engine's `normalizeFromSchema`. Core reads no
 * zod, so the conversion happens here, once per schema object.
 *
 * The key is computed from the arguments AFTER the tool's schema parsed them (parse-tool-args.ts),
 * so the JSON schema must describe the parse's output, not its input: a zod 4 schema is converted
 * with `io: "output"`, and whatever has no JSON form there (a transform, a custom type) becomes
 * `{}`, from which nothing is derived. (`@langchain/core`'s `toJsonSchema` describes the input,
 * with transforms stripped: an `email` transformed into something else would then be normalized
 * as an e-mail.) A Standard-Schema library's output JSON schema is used the same way. A zod 3
 * schema has neither, so nothing is derived from it. A tool given a JSON schema runs with the
 * arguments as the model wrote them, and that schema is handed over as it is.
 */
import type { JsonSchema } from "@agent-idempotency/core";
import { isInteropZodSchema } from "@langchain/core/utils/types";

type ZodWithJsonSchema = { toJSONSchema(params: { io: "output"; unrepresentable: "any" }): unknown };
type StandardJsonSchema = { "~standard": { jsonSchema: { output(options: { target: string }): unknown } } };

const cache = new WeakMap<object, JsonSchema | null>();

function convert(schema: object): JsonSchema | null {
  if (typeof (schema as Partial<ZodWithJsonSchema>).toJSONSchema === "function") {
    return (schema as ZodWithJsonSchema).toJSONSchema({ io: "output", unrepresentable: "any" }) as JsonSchema;
  }
  const standard = (schema as Partial<StandardJsonSchema>)["~standard"];
  if (typeof standard?.jsonSchema?.output === "function") return standard.jsonSchema.output({ target: "draft-2020-12" }) as JsonSchema;
  if (isInteropZodSchema(schema) || standard !== undefined) return null; // zod 3, or a schema library without JSON output
  return schema as JsonSchema;
}

/**
 * The JSON schema of what `tool`'s schema parses its input into, or undefined when there is none.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function toolOutputSchema(tool: unknown): JsonSchema | undefined {
  const schema = (tool as { schema?: unknown } | undefined)?.schema;
  if (schema === null || typeof schema !== "object") return undefined;
  let json = cache.get(schema);
  if (json === undefined) {
    try {
      json = convert(schema);
    } catch {
      json = null;
    }
    cache.set(schema, json);
  }
  return json ?? undefined;
}
