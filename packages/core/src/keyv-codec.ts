/**
 * Keyv's default value encoding (`@keyv/serialize`), fast. Keyv's serializer is a recursive
 * string builder and its deserializer a `JSON.parse` reviver on every value; on the claim path
 * they cost more than everything else the engine does. Records are strict JSON (no Buffers, no
 * `toJSON`), and for strict JSON the default encoding is plain JSON with one twist: a string value
 * that starts with ":" gets one more ":" in front. These functions produce byte-identical output
 * (a property test pins it), and are used only when the Keyv instance has the default codec.
 */
import type Keyv from "keyv";

const escapeColon = (_key: string, value: unknown) => (typeof value === "string" && value.charCodeAt(0) === 58 ? `:${value}` : value);

// A string value that starts with ":" appears in the JSON text as `":` right after `:`, `,` or `[`.
const ESCAPED_VALUE = /[:,[]":/;

const unescapeColon = (_key: string, value: unknown) => {
  if (typeof value !== "string" || value.charCodeAt(0) !== 58) return value;
  // ":base64:" marks a Buffer in Keyv's encoding; records never hold one, so leave it a string.
  return value.slice(1);
};

/**
 * `keyv.serialize` for strict-JSON data, byte-identical to Keyv's default. Plain `JSON.stringify`
 * first (a replacer function takes V8 off its fast path): only when the text may hold a string
 * value that starts with ":" (the pattern also matches such keys, harmlessly) is it redone with
 * the escaping replacer.
 */
export function serializeJson(data: unknown): string {
  const plain = JSON.stringify(data);
  return ESCAPED_VALUE.test(plain) ? JSON.stringify(data, escapeColon) : plain;
}

/** `keyv.deserialize` for what {@link serializeJson} wrote. */
export function deserializeJson<T = unknown>(raw: string): T {
  return ESCAPED_VALUE.test(raw) ? JSON.parse(raw, unescapeColon) : JSON.parse(raw);
}

/** True when `keyv` uses Keyv's default codec, so the fast functions above may stand in for it. */
export function hasDefaultCodec(keyv: Keyv): boolean {
  return keyv.serialize?.name === "defaultSerialize" && keyv.deserialize?.name === "defaultDeserialize" && !keyv.opts?.compression;
}

// Characters JSON.stringify escapes in a string (besides lone surrogates).
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** A string as `serializeJson` writes it inside a record: quoted, escaped, with Keyv's extra ":". */
function str(s: string): string {
  if (s.charCodeAt(0) === 58) return JSON.stringify(`:${s}`);
  return NEEDS_ESCAPE.test(s) || !(s as string & { isWellFormed(): boolean }).isWellFormed() ? JSON.stringify(s) : `"${s}"`;
}

/** A number as JSON writes it (`null` for what JSON has no number for). */
const num = (n: number): string => (Number.isFinite(n) ? `${n}` : "null");

/** A member `,"name":value`, or nothing when the value is undefined (JSON.stringify drops it). */
function member(name: string, v: unknown): string {
  if (v === undefined) return "";
  return `,"${name}":${typeof v === "string" ? str(v) : serializeJson(v)}`;
}

/** The members every record starts with, in the order the store writes them. */
interface RecordHead {
  v: number;
  key: string;
  scope: string;
  action: string;
  fingerprint: string;
  token: string;
  attempt: number;
  claimedAt: number;
}

/**
 * `serializeJson({ value: record, expires })` of the in-progress record `newInProgressRecord`
 * builds (members v, key, status, scope, action, fingerprint, token, attempt, claimedAt,
 * leaseUntil, in that order), as a template instead of a walk: a record's shape is fixed, and
 * JSON.stringify of the Keyv wrapper was the largest single cost of a guarded call on a memory
 * store. Byte-identical (a property test pins it).
 */
export function serializeInProgress(r: RecordHead & { leaseUntil: number }, expires: number): string {
  return `{"value":{"v":${num(r.v)},"key":${str(r.key)},"status":"in_progress","scope":${str(r.scope)},"action":${str(r.action)},"fingerprint":${str(r.fingerprint)},"token":${str(r.token)},"attempt":${num(r.attempt)},"claimedAt":${num(r.claimedAt)},"leaseUntil":${num(r.leaseUntil)}},"expires":${num(expires)}}`;
}

/**
 * `serializeJson({ value: record, expires })` of a completed or failed record as the store
 * builds it (the head members, status, then `value` and `responseId` or `error`, completedAt,
 * expiresAt), the same way as {@link serializeInProgress}.
 */
export function serializeFinished(
  r: RecordHead & { status: "completed" | "failed"; value?: unknown; responseId?: string | undefined; error?: unknown; completedAt: number; expiresAt: number },
  expires: number,
): string {
  const outcome = r.status === "completed" ? `${member("value", r.value)}${member("responseId", r.responseId)}` : member("error", r.error);
  return `{"value":{"v":${num(r.v)},"key":${str(r.key)},"scope":${str(r.scope)},"action":${str(r.action)},"fingerprint":${str(r.fingerprint)},"token":${str(r.token)},"attempt":${num(r.attempt)},"claimedAt":${num(r.claimedAt)},"status":"${r.status}"${outcome},"completedAt":${num(r.completedAt)},"expiresAt":${num(r.expiresAt)}},"expires":${num(expires)}}`;
}
