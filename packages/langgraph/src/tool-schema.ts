/**
 * A tool's argument schema as JSON schema, whatever it was written in (zod 3, zod 4, JSON schema),
 * and the question start-up validation asks of it: does the schema have this field path? An
 * identity or normalize path the schema lacks is a typo, or a field the zod parse strips before
 * the key is computed; either way the key could never be derived as the policy says.
 */
import { toJsonSchema } from "@langchain/core/utils/json_schema";

/** A JSON schema node, as far as path lookups read it. */
export interface JsonSchemaNode {
  /** The value's type(s): a step a type rules out (a field of a string) is missing. */
  type?: string | string[];
  /** The declared fields; a field not listed here is missing unless the object is open. */
  properties?: Record<string, JsonSchemaNode>;
  /** Anything but `false` opens the object: an unlisted field may exist, so it is not reported. */
  additionalProperties?: boolean | JsonSchemaNode;
  /** Opens the object like `additionalProperties`. */
  patternProperties?: Record<string, JsonSchemaNode>;
  /** The schema of every element, or (draft-07 tuples) of each position. */
  items?: JsonSchemaNode | JsonSchemaNode[];
  /** The schema of each position of a tuple (2020-12). */
  prefixItems?: JsonSchemaNode[];
  /** Alternatives: a path exists if it exists in any of them. */
  anyOf?: JsonSchemaNode[];
  /** Alternatives, read as `anyOf`. */
  oneOf?: JsonSchemaNode[];
  /** Parts that all apply: a path exists if it exists in one of them. */
  allOf?: JsonSchemaNode[];
  /** A local reference (`#/$defs/…` or `#/definitions/…`), followed; a remote one means the schema cannot tell. */
  $ref?: string;
  /** Named schemas that `$ref` points into (2020-12). */
  $defs?: Record<string, JsonSchemaNode>;
  /** Named schemas that `$ref` points into (draft-07). */
  definitions?: Record<string, JsonSchemaNode>;
}

/**
 * The JSON schema of a tool's arguments, or undefined when the tool has none (a `DynamicTool`
 * takes a string) or it cannot be converted (a recursive or exotic zod schema): then nothing can
 * be checked against it, and nothing is.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function toolJsonSchema(tool: unknown): JsonSchemaNode | undefined {
  const schema = (tool as { schema?: unknown } | null | undefined)?.schema;
  if (typeof schema !== "object" || schema === null) return undefined;
  try {
    const json = toJsonSchema(schema as Parameters<typeof toJsonSchema>[0]) as unknown;
    return typeof json === "object" && json !== null ? (json as JsonSchemaNode) : undefined;
  } catch {
    return undefined;
  }
}

/** Where a path leaves the schema: the segment the schema lacks, and the names it has there. */
export interface MissingPath {
  /** The path up to the missing segment (`"amount"` for `"amount.curency"`); `""` at the top. */
  parent: string;
  /** The segment the schema does not declare (`"curency"`). */
  segment: string;
  /** The field names the schema declares at `parent`, for a "did you mean". */
  known: string[];
}

const MAX_REF_HOPS = 32;

/**
 * Undefined when `segments` can exist in arguments valid for `root` (or the schema cannot tell:
 * free-form objects, `additionalProperties`, `patternProperties`); else where it leaves the schema.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function missingPath(root: JsonSchemaNode, segments: readonly (string | number)[]): MissingPath | undefined {
  const resolve = (node: JsonSchemaNode | undefined): JsonSchemaNode | undefined => {
    let n = node;
    for (let hop = 0; n?.$ref !== undefined && hop < MAX_REF_HOPS; hop++) {
      const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(n.$ref);
      if (!m) return undefined; // a remote reference: cannot tell
      n = (root[m[1] as "$defs" | "definitions"] ?? {})[decodeURIComponent(m[2]!).replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return n;
  };
  // Each alternative of a union is a schema the value may follow: the path exists if it exists in any.
  const walk = (node: JsonSchemaNode | undefined, i: number, parent: string): MissingPath | undefined => {
    const n = resolve(node);
    if (n === undefined || typeof n !== "object" || i === segments.length) return undefined;
    const branches = [...(n.anyOf ?? []), ...(n.oneOf ?? [])];
    if (branches.length > 0) {
      const misses = branches.map((b) => walk(b, i, parent));
      if (misses.some((m) => m === undefined)) return undefined;
      return { ...misses[0]!, known: [...new Set(misses.flatMap((m) => m!.known))] };
    }
    for (const part of n.allOf ?? []) {
      if (walk(part, i, parent) === undefined) return undefined;
    }
    const seg = segments[i]!;
    const here = parent === "" ? String(seg) : typeof seg === "number" ? `${parent}[${seg}]` : `${parent}.${seg}`;
    // A value whose type rules out the step (a string has no fields, an object no index).
    const types = n.type === undefined ? undefined : Array.isArray(n.type) ? n.type : [n.type];
    const cannot = (kind: string) => types !== undefined && !types.includes(kind);
    if (typeof seg === "number") {
      if (n.prefixItems?.[seg] !== undefined) return walk(n.prefixItems[seg], i + 1, here);
      if (Array.isArray(n.items)) return n.items[seg] === undefined ? undefined : walk(n.items[seg], i + 1, here);
      if (n.items !== undefined) return walk(n.items, i + 1, here);
      return cannot("array") ? { parent, segment: `[${seg}]`, known: Object.keys(n.properties ?? {}) } : undefined;
    }
    if (n.properties === undefined) return cannot("object") ? { parent, segment: seg, known: [] } : undefined; // free-form: cannot tell
    if (Object.prototype.hasOwnProperty.call(n.properties, seg)) return walk(n.properties[seg], i + 1, here);
    const open = (n.additionalProperties !== undefined && n.additionalProperties !== false) || n.patternProperties !== undefined;
    // A zod object strips what it does not declare; a JSON schema without additionalProperties
    // allows it, but a name the schema does not list is far more often a typo than a design.
    if (open) return undefined;
    return { parent, segment: seg, known: Object.keys(n.properties) };
  };
  return walk(root, 0, "");
}
