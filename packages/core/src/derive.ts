/**
 * From a call to its key: normalize the arguments, select the identity, hash. Pure and
 * synchronous, so the engine can register a call for single flight before its first `await`.
 */
import { IdempotencyKeyError } from "./errors.js";
import { canonicalJson } from "./canonical.js";
import { keyFromCanonicalIdentity, readPath, selectIdentity, sha256Hex32, updatePath } from "./key.js";
import type { ResolvedPolicy } from "./policy.js";

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
  key: string;
  fingerprint: string;
  scope: string;
  sessionId: string;
  /** The arguments after normalizers ran. */
  args: unknown;
  /** Size of the canonical arguments in UTF-8 bytes (checked against `maxRecordBytes`). */
  argsBytes: number;
}

const EXPLICIT_KEY = /^[\x21-\x7e]{1,200}$/;

/** Applies the policy's normalizers to a copy of the arguments. */
export function normalizeArgs(args: unknown, policy: Pick<ResolvedPolicy, "normalize">): unknown {
  let out = args;
  for (const [path, fn] of Object.entries(policy.normalize)) {
    if (readPath(out, path).found) out = updatePath(out, path, (v) => fn(v, path));
  }
  return out;
}

/** Derives the key, fingerprint and scope of a guarded call; throws {@link IdempotencyKeyError}. */
export function deriveKey(call: GuardedCall, policy: Pick<ResolvedPolicy, "normalize" | "identity">): DerivedKey {
  const scope = call.scope ?? call.sessionId;
  if (typeof scope !== "string" || scope === "") {
    throw new IdempotencyKeyError(
      `${call.action}: no scope; pass sessionId (or scope) so that calls of different sessions never share a key`,
    );
  }
  const args = normalizeArgs(call.args, policy);
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
