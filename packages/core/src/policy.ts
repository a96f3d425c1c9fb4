/**
 * Per-tool policies: what identifies a call, how long its outcome replays, and what happens in
 * each state of the engine. Validated when the engine is created, so a typo fails at start-up
 * with {@link IdempotencyPolicyError}, not on the first retry in production.
 */
import { IdempotencyPolicyError } from "./errors.js";
import { isVolatileFieldName, parsePath } from "./key.js";
import type { Normalizer } from "./normalize.js";
import type { IdempotencyRecord } from "./record.js";

/** Asked when a lease expired without an outcome: found upstream → recorded, not re-run. */
export type Reconcile = (ctx: {
  key: string;
  args: unknown;
  record: IdempotencyRecord;
}) => Promise<{ result: unknown } | undefined>;

/** How one tool is guarded. Every field is optional. */
export interface ToolPolicy {
  /** Field paths (`["user_id", "slot.start"]`) or a function of the arguments. Default: all arguments. */
  identity?: readonly string[] | ((args: any) => unknown);
  /** Per-field normalizers applied before the key and fingerprint are computed. */
  normalize?: Record<string, Normalizer>;
  /** How long a completed (or cached failed) record replays. Default 24 h. */
  ttlMs?: number;
  /** How long a claim holds without a heartbeat before it is presumed dead. Default 60 s. */
  leaseMs?: number;
  /** A concurrent duplicate waits for the running call (default) or fails fast. */
  onInProgress?: "wait" | "error";
  /** How long a waiting duplicate waits before {@link IdempotencyInProgressError}. Default: `leaseMs` + 5 s. */
  waitMs?: number;
  /** Same key, different arguments: replay anyway (default; audited as `mismatch`) or throw. */
  onPayloadMismatch?: "replay" | "error";
  /** Record failures so retries rethrow them instead of running again. Default false. */
  cacheErrors?: boolean | ((error: unknown) => boolean);
  /** A previous holder died without an outcome: run again (default), ask `reconcile`, or throw. */
  onUnknownOutcome?: "reexecute" | "error" | Reconcile;
  /**
   * The upstream's id for the effect (`r => r.booking_id`), logged for the audit's duplicate check.
   * Receives the tool's own result in every integration. Default: `defaultResponseId` (one plain
   * top-level id field, else none).
   */
  responseId?: (result: any) => string | undefined;
}

/** A policy with every default filled in. */
export interface ResolvedPolicy extends Required<Omit<ToolPolicy, "identity" | "responseId" | "normalize">> {
  identity: ToolPolicy["identity"];
  normalize: Record<string, Normalizer>;
  responseId: ToolPolicy["responseId"];
}

export const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_LEASE_MS = 60 * 1000;

/** `tools` maps a tool name to its policy (`true` or `{}` for all defaults). */
export type ToolPolicies = Record<string, ToolPolicy | true>;

/** Policy fields applied to every tool, and whether tools without an entry are guarded too. */
export type PolicyDefaults = ToolPolicy & { guard?: "listed" | "all" };

const ENUMS: Record<string, readonly string[]> = {
  onInProgress: ["wait", "error"],
  onPayloadMismatch: ["replay", "error"],
};

function check(cond: unknown, tool: string, message: string): asserts cond {
  if (!cond) throw new IdempotencyPolicyError(`policy of ${tool}: ${message}`);
}

function validate(tool: string, p: ToolPolicy): void {
  for (const field of ["ttlMs", "leaseMs", "waitMs"] as const) {
    const v = p[field];
    check(v === undefined || (Number.isFinite(v) && v >= 0), tool, `${field} must be a non-negative number of milliseconds, got ${String(v)}`);
  }
  check(p.leaseMs === undefined || p.leaseMs > 0, tool, "leaseMs must be above 0");
  for (const [field, allowed] of Object.entries(ENUMS)) {
    const v = (p as Record<string, unknown>)[field];
    check(v === undefined || allowed.includes(v as string), tool, `${field} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${JSON.stringify(v)}`);
  }
  const u = p.onUnknownOutcome;
  check(u === undefined || u === "reexecute" || u === "error" || typeof u === "function", tool, `onUnknownOutcome must be "reexecute", "error" or a reconcile function`);
  check(p.cacheErrors === undefined || typeof p.cacheErrors === "boolean" || typeof p.cacheErrors === "function", tool, "cacheErrors must be a boolean or a function");
  check(p.responseId === undefined || typeof p.responseId === "function", tool, "responseId must be a function of the result");
  if (p.identity !== undefined && typeof p.identity !== "function") {
    check(Array.isArray(p.identity) && p.identity.length > 0, tool, "identity must be a non-empty array of field paths or a function");
    for (const path of p.identity) {
      check(typeof path === "string", tool, "identity field paths must be strings");
      try {
        parsePath(path);
      } catch (e) {
        throw new IdempotencyPolicyError(`policy of ${tool}: ${(e as Error).message}`, { cause: e });
      }
    }
  }
  for (const [path, fn] of Object.entries(p.normalize ?? {})) {
    check(typeof fn === "function", tool, `normalize["${path}"] must be a function`);
  }
}

/** Fills in defaults and validates. `warn` receives lint findings (volatile identity fields). */
export function resolvePolicy(tool: string, policy: ToolPolicy | true, defaults: ToolPolicy = {}, warn?: (message: string) => void): ResolvedPolicy {
  const p: ToolPolicy = { ...defaults, ...(policy === true ? {} : policy) };
  validate(tool, p);
  if (Array.isArray(p.identity)) {
    for (const path of p.identity as readonly string[]) {
      if (isVolatileFieldName(path)) {
        warn?.(`policy of ${tool}: the identity field "${path}" looks volatile (it changes on every call), so every retry would get a new key and run again; drop it from identity`);
      }
    }
  }
  const leaseMs = p.leaseMs ?? DEFAULT_LEASE_MS;
  return {
    identity: p.identity,
    normalize: { ...(p.normalize ?? {}) },
    ttlMs: p.ttlMs ?? DEFAULT_TTL_MS,
    leaseMs,
    onInProgress: p.onInProgress ?? "wait",
    waitMs: p.waitMs ?? leaseMs + 5000,
    onPayloadMismatch: p.onPayloadMismatch ?? "replay",
    cacheErrors: p.cacheErrors ?? false,
    onUnknownOutcome: p.onUnknownOutcome ?? "reexecute",
    responseId: p.responseId,
  };
}

/** Resolves every listed tool once; unlisted tools resolve lazily when `guard: "all"`. */
export function createPolicyTable(tools: ToolPolicies = {}, defaults: PolicyDefaults = {}, warn?: (message: string) => void) {
  const { guard = "listed", ...base } = defaults;
  check(guard === "listed" || guard === "all", "defaults", `guard must be "listed" or "all"`);
  validate("defaults", base);
  const table = new Map<string, ResolvedPolicy>();
  for (const [tool, policy] of Object.entries(tools)) {
    check(policy === true || (typeof policy === "object" && policy !== null), tool, "must be an object or true");
    table.set(tool, resolvePolicy(tool, policy, base, warn));
  }
  return {
    /** The policy of `tool`, or undefined when the tool is not guarded. */
    get(tool: string): ResolvedPolicy | undefined {
      let p = table.get(tool);
      if (!p && guard === "all") {
        p = resolvePolicy(tool, {}, base, warn);
        table.set(tool, p);
      }
      return p;
    },
    /** The raw policies, for packages that need to derive keys the same way (the callback handler). */
    tools,
    defaults,
  };
}
export type PolicyTable = ReturnType<typeof createPolicyTable>;
