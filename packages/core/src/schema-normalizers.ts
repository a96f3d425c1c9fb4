/**
 * Normalizers derived from a tool's JSON schema (plain data: core reads no zod; the LangChain
 * integrations convert a zod schema first). Only facts that fix what a value means are used, so a
 * derived normalizer never merges two values the tool would treat differently:
 *
 * | schema fact (at any depth)                                | derived normalizer                 |
 * | --------------------------------------------------------- | ---------------------------------- |
 * | `type: "string"`, `format: "email"` or `"idn-email"`      | `trim`, then `lowercase`           |
 * | `type: "string"`, `format: "uuid"`                        | `trim`, then `lowercase`           |
 * | `type: "string"`, `format: "date-time"`                   | `isoInstant`                       |
 * | `type: "string"`, a format listed in `formats`            | that normalizer (wins over the above) |
 * | `type: "number"` or `"integer"`                           | `number` (`"12"` → 12)             |
 * | `type: "boolean"`                                         | `boolean` (`"yes"` → true)         |
 * | `enum` of strings that differ in more than case           | the member that matches without regard to case or surrounding space |
 * | `type: "object"` with `properties`                        | the above for each property, at `parent.child` |
 * | `type: "array"` with one `items` schema                   | the items' normalizers, at `parent[*]` and `parent[*].child` |
 * | `type: [T, "null"]`, `anyOf`/`oneOf` of one schema and `{ type: "null" }` | T's normalizers; `null` stays `null` |
 * | `$ref` to `#/$defs/…` or `#/definitions/…`                 | what the target derives (not recursively) |
 *
 * Nothing else is derived: plain strings are left alone (whitespace or Unicode form may be content),
 * so is array order (`uniqueItems` does not say that order is meaningless: a ranking has unique
 * items too), a `format: "date"`, unions of several types, `allOf` of several schemas, tuples,
 * `additionalProperties`, and properties whose names cannot be a field path (`.`, `[`, `]`).
 * A derived normalizer refuses what it cannot read with `IdempotencyKeyError`, like any other.
 */
import { IdempotencyKeyError } from "./errors.js";
import type { Normalizer } from "./normalize.js";
import { boolean, compose, isoInstant, lowercase, named, number, refuseValue, trim } from "./normalize.js";

/** A JSON schema, as plain data (`{ type: "object", properties: { … } }`). */
export type JsonSchema = { readonly [keyword: string]: unknown } | boolean;

/** How `normalizeFromSchema` derives, beyond the built-in facts. */
export interface SchemaNormalizeOptions {
  /**
   * Normalizers by JSON-schema `format`, added to the built-in ones or replacing them:
   * `{ formats: { phone: e164({ defaultCountry: "US" }) } }`.
   */
  formats?: Readonly<Record<string, Normalizer>> | undefined;
}

/** One normalizer derived from a schema: where it applies, and the schema fact it comes from. */
export interface DerivedNormalizer {
  /** A normalize path: `"email"`, `"slot.start"`, `"attendees[*]"`, `"items[*].quantity"`. */
  path: string;
  /** The normalizer the schema fact calls for. */
  normalizer: Normalizer;
  /** The schema fact, for `explainKey`: `"format: email"`, `"type: number"`, `"enum"`. */
  fact: string;
}

type Leaf = { kind: "leaf"; fn: Normalizer; fact: string };
type ObjectNode = { kind: "object"; props: Map<string, Derived> };
type ArrayNode = { kind: "array"; item: Derived };
type Derived = Leaf | ObjectNode | ArrayNode;

const MAX_DEPTH = 32;
const emailLike = named("trim+lowercase", compose(trim, lowercase));
const BUILT_IN_FORMATS: Record<string, Normalizer> = { email: emailLike, "idn-email": emailLike, uuid: emailLike, "date-time": isoInstant };
const PATH_SAFE = /^[^.[\]]+$/;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function caseInsensitiveEnum(members: readonly string[]): Normalizer | undefined {
  const byLower = new Map<string, string>();
  for (const m of members) {
    const lower = m.trim().toLowerCase();
    // Two members that differ only in case (or space) are two meanings: match exactly, derive nothing.
    if (byLower.has(lower) && byLower.get(lower) !== m) return undefined;
    byLower.set(lower, m);
  }
  return named("enum", (value, field) => {
    if (typeof value !== "string") return refuseValue("one of the enum's strings", "enum", value, field);
    const hit = byLower.get(value.trim().toLowerCase());
    if (hit === undefined) {
      const shown = members.slice(0, 8).map((m) => JSON.stringify(m)).join(", ");
      throw new IdempotencyKeyError(`${field}: ${JSON.stringify(value.slice(0, 40))} is not one of ${shown}${members.length > 8 ? ", …" : ""}`, { field });
    }
    return hit;
  });
}

/** `null` stays `null`. Objects and arrays need no wrapper: nothing is found under a `null`. */
function orNull(d: Derived): Derived {
  if (d.kind !== "leaf") return d;
  const fn = named(d.fn.name, (value: unknown, field: string) => (value === null ? null : d.fn(value, field)));
  return { kind: "leaf", fn, fact: `${d.fact} or null` };
}

/** Applies the derived normalizers of an object's properties to a copy (for names no path can write). */
function objectNormalizer(node: ObjectNode): Normalizer {
  const entries: DerivedNormalizer[] = [];
  for (const [name, sub] of node.props) flatten(sub, name, entries, true);
  return named(`{${entries.map((e) => `${e.path}: ${e.normalizer.name}`).join(", ")}}`, (value, field) => {
    if (value === null) return null;
    if (!isObject(value)) return refuseValue("an object", "schema", value, field);
    const out: Record<string, unknown> = { ...value };
    for (const [name, sub] of node.props) {
      if (!Object.prototype.hasOwnProperty.call(value, name) || value[name] === undefined) continue;
      out[name] = applyNode(sub, value[name], `${field}.${name}`);
    }
    return out;
  });
}

function applyNode(d: Derived, value: unknown, field: string): unknown {
  if (d.kind === "leaf") return d.fn(value, field);
  if (d.kind === "object") return objectNormalizer(d)(value, field);
  if (value === null) return null;
  if (!Array.isArray(value)) return refuseValue("an array", "schema", value, field);
  return value.map((item, i) => (item === undefined ? item : applyNode(d.item, item, `${field}[${i}]`)));
}

function resolveRef(root: unknown, ref: string): unknown {
  const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!m || !isObject(root)) return undefined;
  const defs = root[m[1]!];
  const name = m[2]!.replace(/~1/g, "/").replace(/~0/g, "~");
  return isObject(defs) ? defs[name] : undefined;
}

function build(schema: unknown, root: unknown, formats: Readonly<Record<string, Normalizer>>, seen: readonly string[], depth: number): Derived | undefined {
  if (!isObject(schema) || depth > MAX_DEPTH) return undefined;
  const next = (s: unknown, via = seen) => build(s, root, formats, via, depth + 1);
  if (typeof schema.$ref === "string") {
    if (seen.includes(schema.$ref)) return undefined; // recursive: stop rather than loop
    return next(resolveRef(root, schema.$ref), [...seen, schema.$ref]);
  }
  for (const union of ["anyOf", "oneOf"] as const) {
    const branches = schema[union];
    if (!Array.isArray(branches)) continue;
    const isNull = (b: unknown) => isObject(b) && b.type === "null";
    const rest = branches.filter((b) => !isNull(b));
    if (rest.length !== 1) return undefined;
    const d = next(rest[0]);
    return d && rest.length < branches.length ? orNull(d) : d;
  }
  if (Array.isArray(schema.allOf)) return schema.allOf.length === 1 ? next(schema.allOf[0]) : undefined;

  const types = typeof schema.type === "string" ? [schema.type] : Array.isArray(schema.type) ? (schema.type as unknown[]) : [];
  const nullable = types.includes("null");
  const wrap = (d: Derived | undefined) => (d && nullable ? orNull(d) : d);
  if (Array.isArray(schema.enum)) {
    const members = schema.enum.filter((m) => m !== null);
    if (members.length === 0 || !members.every((m): m is string => typeof m === "string")) return undefined;
    const fn = caseInsensitiveEnum(members);
    if (!fn) return undefined;
    const d: Leaf = { kind: "leaf", fn, fact: "enum" };
    return members.length < schema.enum.length ? orNull(d) : d;
  }
  const concrete = types.filter((t) => t !== "null");
  if (concrete.length !== 1) return undefined;
  const type = concrete[0];
  if (type === "string") {
    const format = typeof schema.format === "string" ? schema.format : undefined;
    const fn = format === undefined ? undefined : (formats[format] ?? BUILT_IN_FORMATS[format]);
    return wrap(fn ? { kind: "leaf", fn, fact: `format: ${format}` } : undefined);
  }
  if (type === "number" || type === "integer") return wrap({ kind: "leaf", fn: number, fact: `type: ${type}` });
  if (type === "boolean") return wrap({ kind: "leaf", fn: boolean, fact: "type: boolean" });
  if (type === "object" && isObject(schema.properties)) {
    const props = new Map<string, Derived>();
    for (const [name, sub] of Object.entries(schema.properties)) {
      const d = next(sub);
      if (d) props.set(name, d);
    }
    return props.size === 0 ? undefined : { kind: "object", props };
  }
  if (type === "array" && isObject(schema.items)) {
    const item = next(schema.items);
    return item ? { kind: "array", item } : undefined;
  }
  return undefined;
}

/**
 * The entries of a derived tree, by normalize path. `inside` is true under a structural
 * normalizer, where names need not be paths.
 */
function flatten(d: Derived, path: string, out: DerivedNormalizer[], inside = false): void {
  if (d.kind === "leaf") {
    out.push({ path, normalizer: d.fn, fact: d.fact });
    return;
  }
  if (d.kind === "array") {
    flatten(d.item, `${path}[*]`, out, inside);
    return;
  }
  // A child that no field path can name: normalize this whole object structurally instead (the
  // arguments' root has no path, so there such a child is left alone).
  if (!inside && path !== "" && [...d.props.keys()].some((name) => !PATH_SAFE.test(name))) {
    out.push({ path, normalizer: objectNormalizer(d), fact: "object" });
    return;
  }
  for (const [name, sub] of d.props) {
    if (inside || PATH_SAFE.test(name)) flatten(sub, path === "" ? name : `${path}.${name}`, out, inside);
  }
}

const cache = new WeakMap<object, WeakMap<object, readonly DerivedNormalizer[]>>();
const NO_OPTIONS = {};

/**
 * The normalizers a JSON schema implies, by field path (see the table at the top of
 * schema-normalizers.ts). Cached per schema object and options object.
 *
 * @example
 * ```ts
 * normalizersFromSchema({
 *   type: "object",
 *   properties: { email: { type: "string", format: "email" }, seats: { type: "integer" } },
 * });
 * // [{ path: "email", fact: "format: email", normalizer: trim+lowercase },
 * //  { path: "seats", fact: "type: integer", normalizer: number }]
 * ```
 */
export function normalizersFromSchema(schema: JsonSchema, options: SchemaNormalizeOptions = {}): readonly DerivedNormalizer[] {
  if (typeof schema === "boolean") return [];
  if (!isObject(schema)) throw new IdempotencyKeyError("a tool's schema must be a JSON schema object (or a boolean)");
  let bySchema = cache.get(schema);
  const cached = bySchema?.get(options ?? NO_OPTIONS);
  if (cached) return cached;
  const out: DerivedNormalizer[] = [];
  const d = build(schema, schema, options.formats ?? {}, [], 0);
  if (d?.kind === "object") flatten(d, "", out);
  const frozen = Object.freeze(out);
  if (!bySchema) cache.set(schema, (bySchema = new WeakMap()));
  bySchema.set(options ?? NO_OPTIONS, frozen);
  return frozen;
}
