/**
 * Keys from the semantic identity of a call:
 *
 * ```
 * key         = sha256( JCS({ action, scope, identity }) ).hex.slice(0, 32)   // 128 bits
 * fingerprint = sha256( JCS(arguments) ).hex.slice(0, 32)
 * ```
 *
 * Never a timestamp, a random id or the `tool_call_id`: a retry must land on the same key.
 */
import { hash } from "node:crypto";
import { canonicalJson, canonicalString } from "./canonical.js";
import { IdempotencyKeyError } from "./errors.js";

/** The three parts of a key. */
export interface KeyParts {
  /** The action (tool name); must be non-empty. */
  action: string;
  /** The scope (session, turn) that keeps keys of different conversations apart. */
  scope: string;
  /** What the policy's identity rule selected from the normalized arguments. */
  identity: unknown;
}

/**
 * The first 32 hex characters of the sha256 of `text` (UTF-8, or bytes). The one-shot
 * `crypto.hash` (Node >= 20.12) skips the Hash object that `createHash` builds for every call.
 * @internal
 */
export function sha256Hex32(text: string | Uint8Array): string {
  return hash("sha256", text, "hex").slice(0, 32);
}

/**
 * The key from an identity that is already canonical JSON. JCS sorts members by name, and
 * "action" < "identity" < "scope", so this string is exactly `JCS({ action, scope, identity })`;
 * it lets the engine canonicalize the arguments once for both the key and the fingerprint.
 * @internal
 */
export function keyFromCanonicalIdentity(action: string, scope: string, canonicalIdentity: string): string {
  return sha256Hex32(canonicalKeyText(action, scope, canonicalIdentity));
}

/**
 * The exact text a key hashes, `JCS({ action, scope, identity })`, from an identity that is
 * already canonical JSON (what `explainKey` shows). @internal
 */
export function canonicalKeyText(action: string, scope: string, canonicalIdentity: string): string {
  if (typeof action !== "string" || action === "") {
    throw new IdempotencyKeyError("the action (tool name) must be a non-empty string");
  }
  if (typeof scope !== "string") {
    throw new IdempotencyKeyError(`the scope for ${action} must be a string (a session or turn id)`);
  }
  return `{"action":${canonicalString(action)},"identity":${canonicalIdentity},"scope":${canonicalString(scope)}}`;
}

/** The idempotency key of `{ action, scope, identity }`: 32 lowercase hex characters. */
export function idempotencyKey(parts: KeyParts): string {
  return keyFromCanonicalIdentity(parts.action, parts.scope, canonicalJson(parts.identity));
}

/** sha256 of the canonical arguments, to notice one key arriving with different arguments. */
export function fingerprint(args: unknown): string {
  return sha256Hex32(canonicalJson(args));
}

/** Splits `"slot.start"` or `"items[0].id"` into path segments. */
export function parsePath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const part of path.split(".")) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (m[1] === "" && !m[2])) {
      throw new IdempotencyKeyError(`"${path}" is not a field path; write it like "user_id", "slot.start" or "items[0].id"`, { field: path });
    }
    if (m[1] !== "") segments.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) segments.push(Number(idx[1]));
  }
  return segments;
}

const own = (obj: object, key: string | number) => Object.prototype.hasOwnProperty.call(obj, key);

/** The value at `path`, or `found: false` when any segment is missing or `undefined`. */
export function readPath(value: unknown, path: string): { found: boolean; value?: unknown } {
  let cur: unknown = value;
  for (const seg of parsePath(path)) {
    if (cur === null || typeof cur !== "object" || !own(cur, seg)) return { found: false };
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur === undefined ? { found: false } : { found: true, value: cur };
}

/** A copy of `value` with the value at `path` replaced (missing paths are left alone). */
export function updatePath(value: unknown, path: string, fn: (v: unknown) => unknown): unknown {
  const segs = parsePath(path);
  const go = (cur: unknown, i: number): unknown => {
    if (i === segs.length) return fn(cur);
    if (cur === null || typeof cur !== "object" || !own(cur, segs[i]!)) return cur;
    const copy = (Array.isArray(cur) ? [...cur] : { ...(cur as object) }) as Record<string | number, unknown>;
    copy[segs[i]!] = go((cur as Record<string | number, unknown>)[segs[i]!], i + 1);
    return copy;
  };
  return go(value, 0);
}

/**
 * What a policy's `identity` selects from the arguments: the whole arguments by default; with
 * field paths, an object from each path to its value (a missing field is an error, never a
 * silent `null` that would put every call lacking it on one key); with a function, its result.
 */
export function selectIdentity(
  args: unknown,
  identity: readonly string[] | ((args: any) => unknown) | undefined,
  action: string,
): unknown {
  if (identity === undefined) return args;
  if (typeof identity === "function") {
    const out = identity(args);
    if (out === undefined) {
      throw new IdempotencyKeyError(`the identity function of ${action} returned undefined; return the values that make a call distinct`);
    }
    return out;
  }
  const selected: Record<string, unknown> = {};
  for (const path of identity) {
    const got = readPath(args, path);
    if (!got.found) {
      throw new IdempotencyKeyError(
        `${action}: the identity field "${path}" is missing from the arguments; the model must send it, or remove it from the policy's identity`,
        { field: path },
      );
    }
    selected[path] = got.value;
  }
  return selected;
}

const VOLATILE_WORDS = "time[_-]?stamp|now|nonce|request[_-]?id|req[_-]?id|uuid|guid|trace[_-]?id|span[_-]?id|random|salt|created[_-]?at|sent[_-]?at|ts";
// snake_case, kebab-case or the whole name: case-insensitive, but only at a separator, so that
// "amount_cents" or "seats" (which merely end in "ts") are not flagged.
const VOLATILE_SEPARATED = new RegExp(`(^|[_\\-.\\s])(${VOLATILE_WORDS})$`, "i");
// camelCase: a capitalized word after a lower-case letter or digit, case-sensitive.
const VOLATILE_CAMEL = /[a-z0-9](Timestamp|TimeStamp|Now|Nonce|RequestId|ReqId|Uuid|UUID|Guid|GUID|TraceId|SpanId|Random|Salt|CreatedAt|SentAt|Ts)$/;

/** True when a field name looks like it changes on every call (and would make every retry a new key). */
export function isVolatileFieldName(path: string): boolean {
  const last = path.split(".").at(-1)!.replace(/\[\d+\]$/, "");
  return VOLATILE_SEPARATED.test(last) || VOLATILE_CAMEL.test(last);
}
