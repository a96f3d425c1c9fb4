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
