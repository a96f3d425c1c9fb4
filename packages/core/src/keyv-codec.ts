/**
 * Keyv's default value encoding (`@keyv/serialize`), fast. Keyv's serializer is a recursive
 * string builder and its deserializer a `JSON.parse` reviver on every value; on the claim path
 * they cost more than everything else the engine does. Records are strict JSON (no Buffers, no
 * `toJSON`), and for strict JSON the default encoding is plain JSON with one twist: a string value
 * that starts with ":" gets one more ":" in front. These functions produce byte-identical output
 * (a property test pins it), and are used only when the Keyv instance has the default codec.
 */
import type Keyv from "keyv";
import type { RecordBase } from "./record.js";

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

/** True when `serializeJson` writes `s` as `"s"`: nothing to escape, no Keyv ":" to add. */
function plain(s: string): boolean {
  return s.charCodeAt(0) !== 58 && !NEEDS_ESCAPE.test(s) && (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** A number as JSON writes it (`null` for what JSON has no number for). */
const num = (n: number): string => (Number.isFinite(n) ? `${n}` : "null");

/** A value as `serializeJson` writes it inside a record (a string value gets Keyv's ":" too). */
const json = (v: unknown): string => (typeof v === "string" ? serializeJson(`${v.charCodeAt(0) === 58 ? ":" : ""}${v}`) : serializeJson(v));

/** The pieces of a text, filled in place and joined: one allocation for the whole text. */
const HEAD = ['{"value":{"v":', "", ',"key":"', "", '","scope":"', "", '","action":"', "", '","fingerprint":"', "", '","token":"', "", '","attempt":', "", ',"claimedAt":', "", ","];
const IN_PROGRESS = ["", '"status":"in_progress","leaseUntil":', "", '},"expires":', "", "}"];
const FINISHED = ["", '"status":"', "", '"', "", "", "", "", "", ',"completedAt":', "", ',"expiresAt":', "", '},"expires":', "", "}"];

/**
 * The start of the Keyv text of every record one claim writes (`{"value":{"v":1,"key":…,
 * "claimedAt":…,`: the {@link RecordBase} members they all share), printed once per claim and
 * reused by its complete, fail and heartbeats: a record's shape is fixed, and JSON.stringify of
 * the Keyv wrapper, walked twice per guarded call, was the largest single cost of a call on a
 * memory store. Undefined when one of the strings needs
 * escaping (then the store takes {@link serializeJson}). Member order inside the text is free:
 * stores compare a record's text only with texts they read or wrote themselves.
 */
export function recordHead(r: RecordBase): string | undefined {
  if (!(plain(r.key) && plain(r.scope) && plain(r.action) && plain(r.fingerprint) && plain(r.token))) return undefined;
  const parts = HEAD;
  parts[1] = num(r.v);
  parts[3] = r.key;
  parts[5] = r.scope;
  parts[7] = r.action;
  parts[9] = r.fingerprint;
  parts[11] = r.token;
  parts[13] = num(r.attempt);
  parts[15] = num(r.claimedAt);
  return parts.join("");
}

/** The Keyv text of an in-progress record whose {@link recordHead} is `head`: decodes to `{ value: r, expires }`. */
export function serializeInProgress(head: string, r: { leaseUntil: number }, expires: number): string {
  const parts = IN_PROGRESS;
  parts[0] = head;
  parts[2] = num(r.leaseUntil);
  parts[4] = num(expires);
  return parts.join("");
}

/** The Keyv text of a completed or failed record whose {@link recordHead} is `head`, the same way. */
export function serializeFinished(
  head: string,
  r: { status: "completed" | "failed"; value?: unknown; responseId?: string | undefined; error?: unknown; completedAt: number; expiresAt: number },
  expires: number,
): string {
  const completed = r.status === "completed";
  const id = completed ? r.responseId : undefined;
  // JSON.stringify drops a member whose value is undefined; so does this.
  const outcome = completed ? r.value : r.error;
  const parts = FINISHED;
  parts[0] = head;
  parts[2] = r.status;
  parts[4] = outcome === undefined ? "" : completed ? ',"value":' : ',"error":';
  parts[5] = outcome === undefined ? "" : json(outcome);
  parts[6] = id === undefined ? "" : ',"responseId":';
  parts[7] = id === undefined ? "" : json(id);
  parts[10] = num(r.completedAt);
  parts[12] = num(r.expiresAt);
  parts[14] = num(expires);
  return parts.join("");
}
