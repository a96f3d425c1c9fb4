/**
 * Start-up validation of `createIdempotency(options)`: every mistake found at once, each with its
 * fix, in one {@link IdempotencyPolicyError}, instead of the first one thrown, or worse, one that
 * surfaces on the first tool call in production ("Cannot read properties of undefined (reading
 * 'claim')"). What needs the tools themselves (a policy for a tool that does not exist, a field
 * the tool's schema does not have) is checked by the framework packages, which have the tools.
 */
import type { IdempotencyOptions } from "./engine-types.js";
import { IdempotencyPolicyError } from "./errors.js";
import { policyTableProblems } from "./policy.js";
import { createRecordCodec } from "./protect.js";
import { unknownFieldProblems } from "./suggest.js";

/**
 * The fields of {@link IdempotencyOptions}. Any other field fails at start-up with a "did you
 * mean". A field added to `IdempotencyOptions` must be added here too.
 */
export const IDEMPOTENCY_OPTION_FIELDS: readonly (keyof IdempotencyOptions)[] = [
  "store",
  "tools",
  "defaults",
  "audit",
  "clock",
  "onStoreError",
  "onAuditError",
  "onWarning",
  "protect",
  "redact",
  "maxRecordBytes",
];

/** The methods every {@link IdempotencyStore} has. */
const STORE_METHODS = ["claim", "complete", "fail", "release", "heartbeat", "get", "close"] as const;

/** True when `x` has every method of the store contract. */
export function isIdempotencyStore(x: unknown): boolean {
  return typeof x === "object" && x !== null && STORE_METHODS.every((m) => typeof (x as Record<string, unknown>)[m] === "function");
}

/** What is wrong with `store`, with the fix; undefined when it is a store. */
function storeProblem(store: unknown): string | undefined {
  if (store === undefined || store === null) {
    return "store: missing; pass one: new MemoryStore() (tests), a store package's SqliteStore, PostgresStore or RedisStore, or await createStore(url)";
  }
  if (isIdempotencyStore(store)) return undefined;
  if (typeof (store as { then?: unknown }).then === "function") return "store: a Promise, not a store; createStore(url) is async: await it first";
  if (typeof store === "string") return `store: a string; turn a URL into a store with await createStore(${JSON.stringify(store.replace(/\/\/[^@/]*@/, "//…@"))})`;
  const missing = STORE_METHODS.filter((m) => typeof (store as Record<string, unknown>)[m] !== "function");
  const keyvLike = typeof (store as { get?: unknown }).get === "function" && typeof (store as { set?: unknown }).set === "function";
  return `store: not an IdempotencyStore (no ${missing.map((m) => `${m}()`).join(", ")})${keyvLike ? "; a Keyv instance needs new KeyvStore(keyv) around it" : "; pass a store instance, not its options"}`;
}

/**
 * Every problem of the engine's options, without throwing (empty when all is well): unknown
 * fields, the store, the policies, the audit sinks and the record codec.
 */
export function configurationProblems(options: unknown): string[] {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    return ["the options must be an object: createIdempotency({ store, tools })"];
  }
  const o = options as IdempotencyOptions & Record<string, unknown>;
  const problems = unknownFieldProblems("options", o, IDEMPOTENCY_OPTION_FIELDS);
  const store = storeProblem(o.store);
  if (store !== undefined) problems.push(store);
  problems.push(...policyTableProblems(o.tools, o.defaults));
  if (o.onStoreError !== undefined && o.onStoreError !== "closed" && o.onStoreError !== "open") {
    problems.push(`onStoreError must be "closed" or "open", got ${JSON.stringify(o.onStoreError)}`);
  }
  for (const fn of ["onAuditError", "onWarning", "redact"] as const) {
    if (o[fn] !== undefined && typeof o[fn] !== "function") problems.push(`${fn} must be a function`);
  }
  if (o.clock !== undefined && typeof (o.clock as { now?: unknown } | null)?.now !== "function") problems.push("clock must have now(): epoch milliseconds");
  const sinks = o.audit === undefined ? [] : Array.isArray(o.audit) ? o.audit : [o.audit];
  sinks.forEach((sink, i) => {
    if (typeof (sink as { write?: unknown } | null)?.write !== "function") {
      problems.push(`audit${Array.isArray(o.audit) ? `[${i}]` : ""}: not an audit sink (no write()); pass new MemoryAuditLog(), new JsonlAuditLog(path), or a store package's audit log`);
    }
  });
  const protect = o.protect as unknown;
  const protectShape = protect === undefined || (typeof protect === "object" && protect !== null && typeof (protect as { keys?: unknown }).keys === "object" && (protect as { keys?: unknown }).keys !== null && typeof (protect as { currentKeyId?: unknown }).currentKeyId === "string");
  if (!protectShape) problems.push("protect must be { keys: { [id]: 32-byte key (bytes or base64) }, currentKeyId }");
  else if (protect !== undefined) problems.push(...unknownFieldProblems("protect", protect as object, ["keys", "currentKeyId"]));
  try {
    createRecordCodec(protectShape ? o : { ...o, protect: undefined });
  } catch (e) {
    if (e instanceof IdempotencyPolicyError) problems.push(...e.problems);
    else throw e;
  }
  return problems;
}

/** Throws one {@link IdempotencyPolicyError} naming every problem of `options`. */
export function validateOptions(options: unknown, subject?: string): void {
  const problems = configurationProblems(options);
  if (problems.length > 0) throw new IdempotencyPolicyError(problems, subject === undefined ? undefined : { subject });
}
