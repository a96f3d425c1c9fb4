/**
 * Canonical JSON (RFC 8785) after a strict walk.
 *
 * `JSON.stringify` is lossy in ways that silently merge different calls onto one key: `NaN`
 * and `Infinity` become `null`, `[undefined]` becomes `[null]`, a `Map` becomes `{}`, a BigInt
 * throws a generic TypeError, a lone surrogate is escaped but no longer round-trips. Two calls
 * whose arguments differ only in such a value would share a key and the second would replay the
 * first's result. So before canonicalizing we walk the value and refuse anything JSON cannot
 * carry faithfully, naming the path, with an {@link IdempotencyKeyError}.
 *
 * Accepted as JSON would: `undefined` object properties are dropped (an absent optional field),
 * values with a `toJSON()` method (Date, Buffer) are replaced by its result (called once, as
 * JSON.stringify does), `-0` is `0`. Refused besides: holes in sparse arrays, an invalid Date,
 * nesting deeper than {@link MAX_DEPTH}, and getters, `toJSON`s or proxies that throw.
 *
 * The serializer is our own, not `json-canonicalize`: that library prints any object with a
 * `toJSON` property as a leaf, in insertion order, even when the property is plain data sent by
 * the model (`{"toJSON":"x","b":1}`), so key order changed the key. For every other input the
 * output is byte-identical to json-canonicalize's (a property test pins it).
 *
 * How plain data is printed fast: RFC 8785 prints strings and numbers exactly as ECMAScript's
 * `JSON.stringify` does, so the only thing JSON.stringify gets wrong is member order. One walk
 * ({@link orderedForJson}) validates the value and finds the objects whose keys are out of order;
 * only those are copied, with their members inserted in sorted order, and one native
 * `JSON.stringify` of the result prints the canonical text. Model arguments come from
 * `JSON.parse`, whose objects keep the order the model wrote, so usually only a few small objects
 * are copied and the rest is printed natively (10 KB of arguments: about 1.3 × `JSON.stringify`,
 * against 2.6 × for a printer written in JavaScript). As with `JSON.stringify`, a getter is read
 * again when the text is printed.
 */
import type { WellFormed } from "./canonical-order.js";
import { FAST_MAX_DEPTH, orderedForJson, sortKeys } from "./canonical-order.js";
import { IdempotencyKeyError, isIdempotencyError } from "./errors.js";

/** A JSON value as the canonical walk produces it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function describePath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(root)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function refuse(what: string, path: readonly (string | number)[], hint: string): never {
  throw new IdempotencyKeyError(
    `${what} at ${describePath(path)} cannot be part of an idempotency key: ${hint}`,
    { field: describePath(path) },
  );
}

function checkString(s: string, path: readonly (string | number)[], role: string): void {
  if (LONE_SURROGATE.test(s)) {
    refuse(`a ${role} with a lone UTF-16 surrogate`, path, "send well-formed Unicode text");
  }
}

/**
 * Returns a plain JSON copy of `value`, or throws {@link IdempotencyKeyError} naming the first
 * path that JSON cannot carry faithfully. Objects in the copy have a null prototype, so keys such
 * as `__proto__` stay ordinary data.
 */
export function toStrictJson(value: unknown): JsonValue {
  return guarded(() => fastStrictCopy(value, 0) ?? strictWalk(value));
}

/** Nesting deeper than this is refused: no tool takes it, and recursion would overflow the stack. */
export const MAX_DEPTH = 2000;

/** A getter, `toJSON` or proxy trap that throws is the caller's input: a typed error, with cause. */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (isIdempotencyError(cause)) throw cause;
    if (cause instanceof RangeError && /call stack/i.test(cause.message)) {
      throw new IdempotencyKeyError(`the arguments are nested too deeply to key (over ${MAX_DEPTH} levels)`, { cause });
    }
    throw new IdempotencyKeyError(`the arguments could not be read to derive a key (a getter, toJSON or proxy threw): ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/**
 * {@link toStrictJson} for plain JSON data, without the path bookkeeping: the same copy (null
 * prototypes, `-0` as `0`, undefined properties dropped), or undefined for anything the strict
 * walk must judge (then it runs from the start, so the result or the error is exactly its own).
 */
function fastStrictCopy(v: unknown, depth: number): JsonValue | undefined {
  switch (typeof v) {
    case "string":
      return (v as WellFormed).isWellFormed() ? v : undefined;
    case "number":
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : undefined;
    case "boolean":
      return v;
    case "object":
      break;
    default:
      return undefined;
  }
  if (v === null) return null;
  if (depth > FAST_MAX_DEPTH || (v as { toJSON?: unknown }).toJSON !== undefined) return undefined;
  if (Array.isArray(v)) {
    const out: JsonValue[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      // Holes and undefined elements are left to the walk (it keeps holes and refuses undefined).
      if (!(i in v)) return undefined;
      const item = fastStrictCopy(v[i], depth + 1);
      if (item === undefined) return undefined;
      out[i] = item;
    }
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const out: Record<string, JsonValue> = Object.create(null);
  for (const key of Object.keys(v)) {
    if (!(key as WellFormed).isWellFormed()) return undefined;
    const item = (v as Record<string, unknown>)[key];
    if (item === undefined) continue;
    const copy = fastStrictCopy(item, depth + 1);
    if (copy === undefined) return undefined;
    out[key] = copy;
  }
  return out;
}

function strictWalk(value: unknown): JsonValue {
  const seen = new Set<object>();
  const walk = (v: unknown, path: (string | number)[], inArray: boolean, viaToJSON = false): JsonValue | undefined => {
    if (path.length > MAX_DEPTH) refuse(`nesting deeper than ${MAX_DEPTH} levels`, path.slice(0, 8), "flatten the arguments");
    switch (typeof v) {
      case "string":
        checkString(v, path, "string");
        return v;
      case "number":
        if (!Number.isFinite(v)) refuse(`the number ${String(v)}`, path, "JSON has no NaN or Infinity; send a finite number or a string");
        return Object.is(v, -0) ? 0 : v;
      case "boolean":
        return v;
      case "undefined":
        if (inArray) refuse("undefined inside an array", path, "JSON would turn it into null; use null or drop the element");
        return undefined;
      case "bigint":
        refuse("a BigInt", path, "convert it to a string (or a number if it is below 2^53)");
      // falls through: refuse() never returns
      case "function":
        refuse("a function", path, "send data, not code");
      // falls through
      case "symbol":
        refuse("a symbol", path, "send a string instead");
    }
    if (v === null) return null;
    const obj = v as object;
    if (obj instanceof Date && Number.isNaN(obj.getTime())) {
      refuse("an invalid Date", path, "JSON would write it as null; send a valid date or null");
    }
    if (!viaToJSON && typeof (obj as { toJSON?: unknown }).toJSON === "function") {
      // Date, Buffer, and user classes that say how they serialize: trust them, then walk the
      // result, whose own toJSON is not called again (JSON.stringify calls it once per value).
      return walk((obj as { toJSON(key: string): unknown }).toJSON(String(path.at(-1) ?? "")), path, inArray, true);
    }
    if (seen.has(obj)) refuse("a circular reference", path, "break the cycle before calling the tool");
    seen.add(obj);
    try {
      if (Array.isArray(obj)) {
        const out: JsonValue[] = new Array(obj.length);
        for (let i = 0; i < obj.length; i++) {
          if (!(i in obj)) refuse("a hole in a sparse array", [...path, i], "JSON would write it as null; use null or drop the element");
          out[i] = walk(obj[i], [...path, i], true) as JsonValue;
        }
        return out;
      }
      const proto = Object.getPrototypeOf(obj);
      if (proto !== Object.prototype && proto !== null) {
        const name = (proto?.constructor?.name as string | undefined) ?? "object";
        refuse(`an instance of ${name}`, path, "convert it to a plain object or array first (JSON would lose its contents)");
      }
      const out: Record<string, JsonValue> = Object.create(null);
      for (const key of Object.keys(obj)) {
        checkString(key, [...path, key], "property name");
        const child = walk((obj as Record<string, unknown>)[key], [...path, key], false);
        if (child !== undefined) out[key] = child;
      }
      return out;
    } finally {
      seen.delete(obj);
    }
  };
  const result = walk(value, [], false);
  return result === undefined ? null : result;
}

/**
 * The canonical JSON of plain JSON data in one pass, without the copy and the path bookkeeping of
 * the strict walk: strings, finite numbers, booleans, null, arrays without `undefined`, and plain
 * (or null-prototype) objects. Anything else (a `toJSON`, a class instance, a non-finite number, a
 * lone surrogate, a deep or cyclic value, ...) returns undefined, and the caller takes the strict
 * walk from the start, so the output (or the error, with its path) is exactly the walk's. Model
 * arguments are parsed JSON, so they nearly always stay on this path.
 */
function fastCanonical(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case "string":
      return (v as WellFormed).isWellFormed() ? JSON.stringify(v) : undefined;
    case "number":
      return Number.isFinite(v) ? JSON.stringify(v) : undefined;
    case "boolean":
      return v ? "true" : "false";
    case "object":
      break;
    default:
      return undefined;
  }
  if (v === null) return "null";
  if (depth > FAST_MAX_DEPTH) return undefined;
  if (Array.isArray(v)) {
    if ((v as { toJSON?: unknown }).toJSON !== undefined) return undefined;
    let out = "[";
    let first = true;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      // A hole or an undefined element: the strict walk refuses either, with its path.
      if (item === undefined) return undefined;
      const s = fastCanonical(item, depth + 1);
      if (s === undefined) return undefined;
      out += first ? s : `,${s}`;
      first = false;
    }
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(v);
  // An own or inherited `toJSON` of any kind changes how the serializer treats the object.
  if ((proto !== Object.prototype && proto !== null) || (v as { toJSON?: unknown }).toJSON != null) return undefined;
  const keys = sortKeys(Object.keys(v));
  let out = "{";
  let first = true;
  for (const key of keys) {
    if (!(key as WellFormed).isWellFormed()) return undefined;
    const item = (v as Record<string, unknown>)[key];
    if (item === undefined) continue;
    const s = fastCanonical(item, depth + 1);
    if (s === undefined) return undefined;
    out += `${first ? "" : ","}${JSON.stringify(key)}:${s}`;
    first = false;
  }
  return `${out}}`;
}

/** RFC 8785 for what the strict walk returns (null-prototype objects, finite numbers, well-formed strings). */
function serializeStrict(v: JsonValue): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
    case "number":
      return JSON.stringify(v); // ECMAScript number and string serialization is RFC 8785's
    case "boolean":
      return v ? "true" : "false";
  }
  if (Array.isArray(v)) return `[${v.map(serializeStrict).join(",")}]`;
  const obj = v as Record<string, JsonValue>;
  return `{${sortKeys(Object.keys(obj)).map((k) => `${JSON.stringify(k)}:${serializeStrict(obj[k]!)}`).join(",")}}`;
}

/** Canonical JSON of plain JSON data, or undefined for anything the other paths must judge. */
function fastestCanonical(value: unknown): string | undefined {
  const ordered = orderedForJson(value);
  return ordered === undefined ? undefined : JSON.stringify(ordered);
}

/**
 * RFC 8785 canonical JSON of `value` after {@link toStrictJson}: key order, whitespace and
 * number spelling never change the output.
 */
export function canonicalJson(value: unknown): string {
  return guarded(() => fastestCanonical(value) ?? fastCanonical(value, 0) ?? serializeStrict(strictWalk(value)));
}

/** Characters JSON.stringify escapes in a well-formed string. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** The length of `JSON.stringify(s)` for a well-formed string, without printing it when nothing needs escaping. */
function quotedLength(s: string): number {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).length : s.length + 2;
}

/**
 * `JCS({ action, identity: value, scope })` printed by one `JSON.stringify`, and where the
 * canonical `value` sits inside it (`text.slice(start, end)`): a key and a fingerprint of the same
 * arguments then print them once, and nothing is concatenated before hashing. Undefined when
 * `value` is not plain JSON data or a string is not well-formed (a getter that throws included):
 * the caller takes {@link canonicalJson}, which throws the error with its path. @internal
 */
export function canonicalKeyObject(action: string, value: unknown, scope: string): { text: string; start: number; end: number } | undefined {
  if (!(action as WellFormed).isWellFormed() || !(scope as WellFormed).isWellFormed()) return undefined;
  try {
    const identity = orderedForJson(value);
    if (identity === undefined) return undefined;
    // "action" < "identity" < "scope": the members are in RFC 8785 order as written.
    const text = JSON.stringify({ action, identity, scope });
    const start = 22 + quotedLength(action); // {"action":<action>,"identity":
    return { text, start, end: text.length - 10 - quotedLength(scope) }; // ,"scope":<scope>}
  } catch {
    return undefined;
  }
}

/**
 * {@link canonicalJson} of a string (an action, a scope): its JSON text, or the strict walk's
 * error for a lone surrogate.
 */
export function canonicalString(value: string): string {
  return (value as WellFormed).isWellFormed() ? JSON.stringify(value) : canonicalJson(value);
}
