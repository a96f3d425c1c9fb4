/**
 * `idempotency.explainKey(call)` and `explainKey(a, b)`: why a call got its key, and why two calls
 * got two keys. It runs the same steps as `deriveKey` (normalizers, identity selection, canonical
 * JSON, sha256) and keeps what each step produced, so what it shows is what `run` hashes.
 */
import { canonicalJson } from "./canonical.js";
import type { GuardedCall } from "./derive.js";
import { deriveKey, normalizersFor } from "./derive.js";
import { IdempotencyKeyError } from "./errors.js";
import { formatKeyComparison, formatKeyExplanation } from "./explain-text.js";
import { canonicalKeyText, parsePath, readPath, selectIdentity } from "./key.js";
import { readAll, updateAll } from "./normalize-path.js";
import type { ResolvedPolicy } from "./policy.js";

/** One normalizer as it ran on a call. */
export interface NormalizerStep {
  /** The field path it applies to. */
  path: string;
  /** Its name: `"isoInstant"`, `"trim+lowercase"`, `"sortedBy(email)"`. */
  normalizer: string;
  /** Written in the policy's `normalize`, or derived from the tool's schema. */
  source: "policy" | "schema";
  /** For `source: "schema"`: the schema fact (`"format: email"`). */
  fact?: string | undefined;
  /** False when the call has no value at `path` (an optional field left out). */
  applied: boolean;
  /** The value as written and after the normalizer (when applied). */
  before?: unknown;
  /** The value after the normalizer ran; absent when it was not applied. */
  after?: unknown;
}

/** Why one call has its key. */
export interface KeyExplanation {
  /** The action (tool name), hashed into the key. */
  action: string;
  /** The scope the key was derived in (the call's `scope`, else its `sessionId`). */
  scope: string;
  /** The call's `sessionId`, else its scope. */
  sessionId: string;
  /** `"identity"`: hashed from the selected identity; `"explicit"`: the call's own `key`. */
  keySource: "identity" | "explicit";
  /** The policy's identity: its field paths, all arguments, or a function of them. */
  identityRule: readonly string[] | "all arguments" | "function";
  /** Each normalizer in the order it ran, with one step per concrete place it touched. */
  normalizers: NormalizerStep[];
  /** The arguments after every normalizer (the tool itself runs with the arguments as written). */
  args: unknown;
  /** What the identity rule selected from `args`. */
  identity: unknown;
  /** The exact text hashed: `JCS({ action, identity, scope })` (with an explicit key: what would have been). */
  canonical: string;
  /** The idempotency key, as `run` derives it. */
  key: string;
  /** sha256 of the canonical normalized arguments (all of them, not only the identity). */
  fingerprint: string;
}

/** One place where two calls differ. */
export interface KeyDifference {
  /** What differs: the action, the scope, an explicit key, an identity field, or an argument outside the identity. */
  part: "action" | "scope" | "key" | "identity" | "arguments";
  /** The field path (`"slot.start"`, `"attendees[1]"`), or the part's name. */
  path: string;
  /** The values after normalization; absent when the call has nothing there. */
  a?: unknown;
  /** The second call's value, like `a`. */
  b?: unknown;
  /** The values as written, when a normalizer changed them. */
  rawA?: unknown;
  /** The second call's value as written, like `rawA`. */
  rawB?: unknown;
}

/** Two calls side by side. */
export interface KeyComparison {
  /** True when both calls get the same key (one would replay the other). */
  sameKey: boolean;
  /** The explanation of the first call. */
  a: KeyExplanation;
  /** The explanation of the second call. */
  b: KeyExplanation;
  /** What gave them different keys (empty when the keys are equal). */
  differences: KeyDifference[];
  /**
   * Arguments that differ outside the identity: they do not change the key, only the fingerprint
   * (a replay of such a call is audited as `mismatch`).
   */
  outsideIdentity: KeyDifference[];
}

const MAX_DIFFERENCES = 50;
const SAFE_KEY = /^[^.[\]]+$/;
const ABSENT = Symbol("absent");

function printable<T extends object>(value: T, text: (v: T) => string): T {
  const render = () => text(value);
  Object.defineProperty(value, "toString", { value: render, enumerable: false });
  Object.defineProperty(value, Symbol.for("nodejs.util.inspect.custom"), { value: render, enumerable: false });
  return value;
}

/** Why `call` has its key under `policy`. @internal (the engine's `explainKey` is the public way) */
export function explainCall(call: GuardedCall, policy: ResolvedPolicy): KeyExplanation {
  const d = deriveKey(call, policy); // throws exactly as run would
  const steps: NormalizerStep[] = [];
  let args = call.args;
  for (const entry of normalizersFor(policy, call.schema)) {
    const head = { normalizer: entry.normalizer.name || "custom", source: entry.source, ...(entry.fact === undefined ? {} : { fact: entry.fact }) };
    const before = readAll(args, entry.segments);
    if (before.length === 0) steps.push({ path: entry.path, ...head, applied: false });
    args = updateAll(args, entry.segments, entry.normalizer);
    // One step per concrete place (`attendees[0]`, `attendees[1]`), so each shows its own values.
    const after = new Map(readAll(args, entry.segments).map((r) => [r.path, r.value]));
    for (const b of before) steps.push({ path: b.path, ...head, applied: true, before: b.value, after: after.get(b.path) });
  }
  const explicit = call.key !== undefined;
  let identity: unknown;
  let canonical = "";
  try {
    identity = selectIdentity(d.args, policy.identity, call.action);
    canonical = canonicalKeyText(call.action, d.scope, canonicalJson(identity));
  } catch (error) {
    if (!explicit) throw error; // run would have thrown it too; with an explicit key it never looks
  }
  const rule = policy.identity === undefined ? "all arguments" : typeof policy.identity === "function" ? "function" : policy.identity;
  return printable(
    {
      action: call.action,
      scope: d.scope,
      sessionId: d.sessionId,
      keySource: explicit ? "explicit" : "identity",
      identityRule: rule,
      normalizers: steps,
      args: d.args,
      identity,
      canonical,
      key: d.key,
      fingerprint: d.fingerprint,
    } satisfies KeyExplanation,
    formatKeyExplanation,
  );
}

function pathOf(base: string, seg: string | number): string {
  if (typeof seg === "number") return `${base}[${seg}]`;
  const name = SAFE_KEY.test(seg) ? seg : `[${JSON.stringify(seg)}]`;
  return base === "" ? name : name.startsWith("[") ? `${base}${name}` : `${base}.${name}`;
}

const isPlain = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** The leaf paths where two JSON values differ, in the policies' path syntax. */
function diffJson(a: unknown, b: unknown, path: string, out: { path: string; a: unknown; b: unknown }[]): void {
  if (out.length >= MAX_DIFFERENCES) return;
  if (a !== ABSENT && b !== ABSENT && canonicalJson(a) === canonicalJson(b)) return;
  if (isPlain(a) && isPlain(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) diffJson(a[k] === undefined ? ABSENT : a[k], b[k] === undefined ? ABSENT : b[k], pathOf(path, k), out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffJson(i < a.length ? a[i] : ABSENT, i < b.length ? b[i] : ABSENT, pathOf(path, i), out);
    return;
  }
  out.push({ path: path === "" ? "(arguments)" : path, a, b });
}

function rawAt(args: unknown, path: string): unknown {
  try {
    const got = readPath(args, path);
    return got.found ? got.value : ABSENT;
  } catch {
    return ABSENT; // a path no policy could write (a key with a dot): shown without its raw form
  }
}

function difference(part: KeyDifference["part"], path: string, a: unknown, b: unknown, rawA: unknown = ABSENT, rawB: unknown = ABSENT): KeyDifference {
  const d: KeyDifference = { part, path };
  if (a !== ABSENT) d.a = a;
  if (b !== ABSENT) d.b = b;
  const changed = (raw: unknown, v: unknown) => raw !== ABSENT && (v === ABSENT || canonicalJson(raw) !== canonicalJson(v));
  if (changed(rawA, a) || changed(rawB, b)) {
    if (rawA !== ABSENT) d.rawA = rawA;
    if (rawB !== ABSENT) d.rawB = rawB;
  }
  return d;
}

function overlaps(p: string, q: string): boolean {
  try {
    const a = parsePath(p);
    const b = parsePath(q);
    return a.slice(0, Math.min(a.length, b.length)).every((s, i) => s === b[i]);
  } catch {
    return false;
  }
}

/** Two calls side by side, each under its action's policy. @internal */
export function compareCalls(callA: GuardedCall, callB: GuardedCall, policyOf: (action: string) => ResolvedPolicy | undefined): KeyComparison {
  const a = explainCall(callA, requirePolicy(callA.action, policyOf));
  const b = explainCall(callB, requirePolicy(callB.action, policyOf));
  const differences: KeyDifference[] = [];
  if (a.action !== b.action) differences.push(difference("action", "action", a.action, b.action));
  if (a.keySource === "explicit" || b.keySource === "explicit") {
    if (a.key !== b.key) differences.push(difference("key", "key", a.key, b.key));
  } else {
    if (a.scope !== b.scope) differences.push(difference("scope", "scope", a.scope, b.scope));
    const found: { path: string; a: unknown; b: unknown }[] = [];
    const byPath = Array.isArray(a.identityRule) && a.identityRule === b.identityRule;
    if (byPath) {
      for (const p of a.identityRule as readonly string[]) diffJson((a.identity as Record<string, unknown>)[p], (b.identity as Record<string, unknown>)[p], p, found);
    } else diffJson(a.identity, b.identity, "", found);
    const rawable = byPath || a.identityRule === "all arguments";
    for (const f of found) {
      differences.push(difference("identity", f.path, f.a, f.b, rawable ? rawAt(callA.args, f.path) : ABSENT, rawable ? rawAt(callB.args, f.path) : ABSENT));
    }
  }
  const outsideIdentity: KeyDifference[] = [];
  if (a.action === b.action && a.identityRule !== "all arguments") {
    const found: { path: string; a: unknown; b: unknown }[] = [];
    diffJson(a.args, b.args, "", found);
    const identityPaths = Array.isArray(a.identityRule) ? (a.identityRule as readonly string[]) : [];
    for (const f of found) {
      if (identityPaths.some((p) => overlaps(p, f.path))) continue;
      outsideIdentity.push(difference("arguments", f.path, f.a, f.b, rawAt(callA.args, f.path), rawAt(callB.args, f.path)));
    }
  }
  return printable({ sameKey: a.key === b.key, a, b, differences, outsideIdentity } satisfies KeyComparison, formatKeyComparison);
}

/** The policy of `action`, or an error saying it has none (an unguarded tool has no key to explain). @internal */
export function requirePolicy(action: string, policyOf: (action: string) => ResolvedPolicy | undefined): ResolvedPolicy {
  const policy = policyOf(action);
  if (!policy) {
    throw new IdempotencyKeyError(`${action} has no policy (and defaults.guard is not "all"), so it runs unguarded and has no key; add it to tools`);
  }
  return policy;
}
