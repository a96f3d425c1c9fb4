/**
 * From a call to its key: normalize the arguments, select the identity, hash. Pure and
 * synchronous, so the engine can register a call for single flight before its first `await`.
 */
import { IdempotencyKeyError } from "./errors.js";
import { canonicalJson, canonicalKeyObject } from "./canonical.js";
import { keyFromCanonicalIdentity, selectIdentity, sha256Hex32 } from "./key.js";
import type { Normalizer } from "./normalize.js";
import type { NormalizeSegment } from "./normalize-path.js";
import { parseNormalizePath, pathsOverlap, updateAll } from "./normalize-path.js";
import type { ResolvedPolicy } from "./policy.js";
import type { JsonSchema } from "./schema-normalizers.js";
import { normalizersFromSchema } from "./schema-normalizers.js";

/** One call of a tool, as the engine sees it. */
export interface GuardedCall {
  /** The action: the tool name. */
  action: string;
  /** The tool's arguments, after its schema parsed them. */
  args: unknown;
  /** The session (conversation, thread) the call belongs to; logged, and the default scope. */
  sessionId?: string | undefined;
  /** What keeps keys of different sessions or turns apart. Default: `sessionId`. */
  scope?: string | undefined;
  /** A key the caller already holds (an `Idempotency-Key` header); the scope check still applies. */
  key?: string | undefined;
  /**
   * The tool's input schema as JSON schema (plain data), from which the policy's
   * `normalizeFromSchema` derives normalizers. Only the key and fingerprint see normalized
   * values; the tool always runs with `args` as given.
   */
  schema?: JsonSchema | undefined;
  /** Logged only; never part of the key (a retry gets a new one). */
  toolCallId?: string | undefined;
  /** Aborts waiting and is forwarded to the tool's `signal`. */
  signal?: AbortSignal | undefined;
  /**
   * Errors that must never be recorded as the call's outcome, whatever `cacheErrors` says
   * (LangGraph's interrupts): the claim is released and the error rethrown.
   */
  passthrough?: ((error: unknown) => boolean) | undefined;
  /**
   * Which turn of the conversation the call belongs to, independent of message ids (the audit
   * entry's `turn`); logged and compared by live detection, never part of the key.
   */
  turn?: string | undefined;
  /**
   * The tool's own result from what `fn` returned, for the policy's `responseId`, when `fn` returns
   * a framework's wrapper of it (the LangGraph integrations record a ToolMessage's form and pass its
   * parsed content or artifact here). Default: what `fn` returned.
   */
  toolResult?: ((value: unknown) => unknown) | undefined;
}

/** The key of a call and what went into it. */
export interface DerivedKey {
  /** The idempotency key: 32 lowercase hex characters, or the call's explicit `key`. */
  key: string;
  /** sha256 of the canonical normalized arguments (32 hex characters). */
  fingerprint: string;
  /** The scope the key was derived in: the call's `scope`, else its `sessionId`. */
  scope: string;
  /** The call's `sessionId`, else its scope. */
  sessionId: string;
  /** The arguments after normalizers ran. */
  args: unknown;
  /** Size of the canonical arguments in UTF-8 bytes (checked against `maxRecordBytes`). */
  argsBytes: number;
}

const EXPLICIT_KEY = /^[\x21-\x7e]{1,200}$/;

/** From this many characters of key text on, encoding it to UTF-8 once beats letting each hash encode it. */
const LARGE_TEXT = 4096;

/** A normalizer and the field it applies to: written in the policy, or derived from the schema. */
export interface NormalizerEntry {
  /** A normalize path (`"slot.start"`, `"attendees[*]"`). */
  path: string;
  /** The normalizer to run on each value at `path`. */
  normalizer: Normalizer;
  /** Written in the policy's `normalize`, or derived from the tool's schema. */
  source: "policy" | "schema";
  /** For `source: "schema"`: the schema fact it comes from (`"format: email"`). */
  fact?: string | undefined;
  /** @internal the parsed path */
  segments: readonly NormalizeSegment[];
}

type NormalizePolicy = Pick<ResolvedPolicy, "normalize"> & Partial<Pick<ResolvedPolicy, "normalizeFromSchema">>;

const explicitCache = new WeakMap<object, readonly NormalizerEntry[]>();
const mergedCache = new WeakMap<object, WeakMap<object, readonly NormalizerEntry[]>>();

/**
 * The normalizers a call gets, in the order they run. With a schema (and the policy's
 * `normalizeFromSchema` on), the derived ones run first, then the policy's own, which win: a
 * derived entry on the same field as a policy entry, or above it, is dropped; one below a policy
 * entry stays and runs first, so the policy's normalizer sees typed values
 * (`items[*].quantity` as a number before `items: sortedBy("sku")`). Cached per policy and schema.
 */
export function normalizersFor(policy: NormalizePolicy, schema?: JsonSchema): readonly NormalizerEntry[] {
  let explicit = explicitCache.get(policy);
  if (!explicit) {
    explicit = Object.entries(policy.normalize).map(([path, normalizer]) => ({ path, normalizer, source: "policy" as const, segments: parseNormalizePath(path) }));
    explicitCache.set(policy, explicit);
  }
  const fromSchema = policy.normalizeFromSchema ?? true;
  if (schema === undefined || fromSchema === false || typeof schema === "boolean") return explicit;
  let bySchema = mergedCache.get(policy);
  const hit = bySchema?.get(schema);
  if (hit) return hit;
  const derived: NormalizerEntry[] = [];
  for (const d of normalizersFromSchema(schema, fromSchema === true ? undefined : fromSchema)) {
    const segments = parseNormalizePath(d.path);
    if (explicit.some((e) => e.segments.length >= segments.length && pathsOverlap(e.segments, segments))) continue;
    derived.push({ path: d.path, normalizer: d.normalizer, source: "schema", fact: d.fact, segments });
  }
  const merged = derived.length === 0 ? explicit : [...derived, ...explicit];
  if (!bySchema) mergedCache.set(policy, (bySchema = new WeakMap()));
  bySchema.set(schema, merged);
  return merged;
}

/** Applies the policy's normalizers (and, with a schema, the derived ones) to a copy of the arguments. */
export function normalizeArgs(args: unknown, policy: NormalizePolicy, schema?: JsonSchema): unknown {
  let out = args;
  for (const { segments, normalizer } of normalizersFor(policy, schema)) out = updateAll(out, segments, normalizer);
  return out;
}

/** Derives the key, fingerprint and scope of a guarded call; throws {@link IdempotencyKeyError}. */
export function deriveKey(call: GuardedCall, policy: NormalizePolicy & Pick<ResolvedPolicy, "identity">): DerivedKey {
  const scope = call.scope ?? call.sessionId;
  if (typeof scope !== "string" || scope === "") {
    throw new IdempotencyKeyError(
      `${call.action}: no scope; pass sessionId (or scope) so that calls of different sessions never share a key`,
    );
  }
  const args = normalizeArgs(call.args, policy, call.schema);
  // The usual call: the whole arguments are the identity. One print serves key and fingerprint.
  if (call.key === undefined && policy.identity === undefined && typeof call.action === "string" && call.action !== "") {
    const c = canonicalKeyObject(call.action, args, scope);
    if (c) {
      const sessionId = call.sessionId ?? scope;
      if (c.text.length < LARGE_TEXT) {
        const canonicalArgs = c.text.slice(c.start, c.end);
        return { key: sha256Hex32(c.text), fingerprint: sha256Hex32(canonicalArgs), scope, sessionId, args, argsBytes: Buffer.byteLength(canonicalArgs, "utf8") };
      }
      // Large arguments: encode the text to UTF-8 once, for both hashes and the size.
      const bytes = Buffer.from(c.text, "utf8");
      const start = Buffer.byteLength(c.text.slice(0, c.start), "utf8");
      const end = bytes.length - Buffer.byteLength(c.text.slice(c.end), "utf8");
      return { key: sha256Hex32(bytes), fingerprint: sha256Hex32(bytes.subarray(start, end)), scope, sessionId, args, argsBytes: end - start };
    }
  }
  const canonicalArgs = canonicalJson(args);
  const fingerprint = sha256Hex32(canonicalArgs);
  let key: string;
  if (call.key !== undefined) {
    if (typeof call.key !== "string" || !EXPLICIT_KEY.test(call.key)) {
      throw new IdempotencyKeyError(`${call.action}: an explicit key must be 1 to 200 printable ASCII characters without spaces`);
    }
    key = call.key;
  } else {
    const identity = selectIdentity(args, policy.identity, call.action);
    key = keyFromCanonicalIdentity(call.action, scope, identity === args ? canonicalArgs : canonicalJson(identity));
  }
  return { key, fingerprint, scope, sessionId: call.sessionId ?? scope, args, argsBytes: Buffer.byteLength(canonicalArgs, "utf8") };
}
