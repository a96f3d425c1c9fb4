/**
 * Per-tool policies: what identifies a call, how long its outcome replays, and what happens in
 * each state of the engine. Validated when the engine is created, so a typo fails at start-up
 * with {@link IdempotencyPolicyError}, not on the first retry in production.
 */
import { IdempotencyPolicyError } from "./errors.js";
import { isVolatileFieldName, parsePath } from "./key.js";
import type { Normalizer } from "./normalize.js";
import { parseNormalizePath } from "./normalize-path.js";
import type { IdempotencyRecord } from "./record.js";
import type { SchemaNormalizeOptions } from "./schema-normalizers.js";
import { closestName, unknownFieldProblems } from "./suggest.js";

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
  /**
   * Derive normalizers from the tool's JSON schema when the call carries one (the LangChain
   * integrations pass it): e-mail → trim + lowercase, date-time → instant, number and boolean
   * fields → their type, enums without regard to case. `normalize` entries win over derived ones
   * on the same field (and on fields above or below it). Default `true`; `{ formats }` adds
   * normalizers by JSON-schema `format`. See schema-normalizers.ts for the exact table.
   */
  normalizeFromSchema?: boolean | SchemaNormalizeOptions;
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
  /**
   * What keeps this tool's keys apart inside LangGraph and langchain: `"turn"`, `"thread"`, or a
   * function of `(config, state, { name, args })`. Default: the node's or middleware's `scope`
   * option. The core engine does not read it (its caller passes `scope`/`sessionId`); the
   * langgraph package's scope rules interpret it.
   */
  scope?: PolicyScope;
}

/** A scope function, as the langgraph package calls it: `(config, state, { name, args }) => string`. */
export type PolicyScopeFunction = (config: any, state: any, call: { name: string; args: any }) => string;

/** A policy's `scope`: typed here, interpreted by the framework packages. */
export type PolicyScope = "turn" | "thread" | PolicyScopeFunction;

/**
 * The fields of {@link ToolPolicy}. Any other field in a policy fails at start-up with a "did you
 * mean". A field added to `ToolPolicy` must be added here too.
 */
export const TOOL_POLICY_FIELDS: readonly (keyof ToolPolicy)[] = [
  "identity",
  "normalize",
  "normalizeFromSchema",
  "ttlMs",
  "leaseMs",
  "onInProgress",
  "waitMs",
  "onPayloadMismatch",
  "cacheErrors",
  "onUnknownOutcome",
  "responseId",
  "scope",
];

/** The fields of {@link PolicyDefaults}: a policy's, and `guard`. */
export const POLICY_DEFAULTS_FIELDS: readonly (keyof PolicyDefaults)[] = [...TOOL_POLICY_FIELDS, "guard"];

/** A policy with every default filled in. */
export interface ResolvedPolicy extends Required<Omit<ToolPolicy, "identity" | "responseId" | "normalize" | "scope">> {
  /** The policy's identity; undefined: all arguments. */
  identity: ToolPolicy["identity"];
  /** The policy's own normalizers (`{}` when none); schema-derived ones are added per call. */
  normalize: Record<string, Normalizer>;
  /** The policy's `responseId`; undefined: `defaultResponseId` is used. */
  responseId: ToolPolicy["responseId"];
  /** The policy's own scope (or `defaults.scope`); undefined: the node's or middleware's option. */
  scope: ToolPolicy["scope"];
}

/** How long a completed record replays when a policy sets no `ttlMs`: 24 hours. */
export const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a claim holds without a heartbeat when a policy sets no `leaseMs`: 60 seconds. */
export const DEFAULT_LEASE_MS = 60 * 1000;

/**
 * `tools` maps a tool name to its policy (`true` or `{}` for all defaults), or to `false`: never
 * guarded, even under `guard: "all"` (read-only tools, such as MCP tools annotated `readOnlyHint`).
 */
export type ToolPolicies = Record<string, ToolPolicy | boolean>;

/** Policy fields applied to every tool, and whether tools without an entry are guarded too. */
export type PolicyDefaults = ToolPolicy & { guard?: "listed" | "all" };

const ENUMS: Record<string, readonly string[]> = {
  onInProgress: ["wait", "error"],
  onPayloadMismatch: ["replay", "error"],
};

/** Every problem of one policy (`where` is `tools.book_calendar` or `defaults`), without throwing. */
function problemsOf(where: string, p: ToolPolicy, known: readonly string[] = TOOL_POLICY_FIELDS): string[] {
  const problems = unknownFieldProblems(where, p, known);
  const check = (cond: unknown, message: string) => {
    if (!cond) problems.push(`${where}: ${message}`);
  };
  for (const field of ["ttlMs", "leaseMs", "waitMs"] as const) {
    const v = p[field];
    check(v === undefined || (typeof v === "number" && Number.isFinite(v) && v >= 0), `${field} must be a non-negative number of milliseconds, got ${String(v)}`);
  }
  check(p.leaseMs === undefined || !(p.leaseMs <= 0), "leaseMs must be above 0");
  for (const [field, allowed] of Object.entries(ENUMS)) {
    const v = (p as Record<string, unknown>)[field];
    check(v === undefined || allowed.includes(v as string), `${field} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${JSON.stringify(v)}`);
  }
  const u = p.onUnknownOutcome;
  check(u === undefined || u === "reexecute" || u === "error" || typeof u === "function", `onUnknownOutcome must be "reexecute", "error" or a reconcile function`);
  check(p.cacheErrors === undefined || typeof p.cacheErrors === "boolean" || typeof p.cacheErrors === "function", "cacheErrors must be a boolean or a function");
  check(p.responseId === undefined || typeof p.responseId === "function", "responseId must be a function of the result");
  check(
    p.scope === undefined || p.scope === "turn" || p.scope === "thread" || typeof p.scope === "function",
    `scope must be "turn", "thread" or a function (config, state, { name, args }) => string, got ${JSON.stringify(p.scope)}`,
  );
  if (p.identity !== undefined && typeof p.identity !== "function") {
    if (!Array.isArray(p.identity) || p.identity.length === 0) problems.push(`${where}: identity must be a non-empty array of field paths or a function`);
    else {
      for (const path of p.identity) {
        if (typeof path !== "string") problems.push(`${where}: identity field paths must be strings, got ${JSON.stringify(path)}`);
        else pathProblem(`${where}.identity`, path, problems);
      }
    }
  }
  if (p.normalize !== undefined && (typeof p.normalize !== "object" || p.normalize === null || Array.isArray(p.normalize))) {
    problems.push(`${where}: normalize must be an object of field path → normalizer function`);
  } else {
    const identityPaths = Array.isArray(p.identity) ? (p.identity as unknown[]).filter((x): x is string => typeof x === "string") : [];
    for (const [path, fn] of Object.entries(p.normalize ?? {})) {
      const named = typeof fn === "string" && /^[A-Za-z]\w*$/.test(fn) ? `normalizers.${fn} (a function), not the string ${JSON.stringify(fn)}` : "a normalizer function";
      check(typeof fn === "function", `normalize["${path}"] must be a function: use ${named}`);
      try {
        parseNormalizePath(path); // field paths, plus [*] for every element of an array
      } catch (e) {
        problems.push(`${where}.normalize: ${(e as Error).message.replace(/^\[agent-idempotency\] /, "")}`);
      }
      // Normalizing a field outside the identity is allowed (it only changes the fingerprint), but
      // one a typo away from an identity field is that field misspelt: it would never be normalized.
      const meant = identityPaths.includes(path) ? undefined : closestName(path, identityPaths);
      if (meant !== undefined) problems.push(`${where}.normalize: "${path}" is not an identity field (did you mean "${meant}"?), so "${meant}" would never be normalized`);
    }
  }
  const fromSchema = p.normalizeFromSchema;
  check(
    fromSchema === undefined || typeof fromSchema === "boolean" || (typeof fromSchema === "object" && fromSchema !== null && !Array.isArray(fromSchema)),
    "normalizeFromSchema must be true, false or { formats: { <format>: normalizer } }",
  );
  if (typeof fromSchema === "object" && fromSchema !== null) {
    for (const [format, fn] of Object.entries(fromSchema.formats ?? {})) {
      check(typeof fn === "function", `normalizeFromSchema.formats["${format}"] must be a normalizer function`);
    }
  }
  return problems;
}

function pathProblem(where: string, path: string, problems: string[]): void {
  try {
    parsePath(path);
  } catch (e) {
    problems.push(`${where}: ${(e as Error).message.replace(/^\[agent-idempotency\] /, "")}`);
  }
}

/**
 * Every problem of a policy table and its defaults, without throwing: unknown fields (with a "did
 * you mean"), values out of range, malformed field paths. Empty when all is well.
 */
export function policyTableProblems(tools: unknown, defaults: unknown): string[] {
  const problems: string[] = [];
  if (defaults !== undefined) {
    if (typeof defaults !== "object" || defaults === null || Array.isArray(defaults)) problems.push("defaults: must be an object of policy fields");
    else {
      const { guard, ...base } = defaults as PolicyDefaults;
      if (guard !== undefined && guard !== "listed" && guard !== "all") problems.push(`defaults: guard must be "listed" or "all", got ${JSON.stringify(guard)}`);
      problems.push(...problemsOf("defaults", base));
    }
  }
  if (tools !== undefined) {
    if (typeof tools !== "object" || tools === null || Array.isArray(tools)) problems.push("tools: must be an object of tool name → policy (or true, or false)");
    else {
      for (const [tool, policy] of Object.entries(tools)) {
        if (policy === true || policy === false) continue;
        if (typeof policy !== "object" || policy === null || Array.isArray(policy)) problems.push(`tools.${tool}: must be a policy object, true, or false (never guarded), got ${JSON.stringify(policy)}`);
        else problems.push(...problemsOf(`tools.${tool}`, policy as ToolPolicy));
      }
    }
  }
  return problems;
}

/** Fills in defaults and validates. `warn` receives lint findings (volatile identity fields). */
export function resolvePolicy(tool: string, policy: ToolPolicy | true, defaults: ToolPolicy = {}, warn?: (message: string) => void): ResolvedPolicy {
  const p: ToolPolicy = { ...defaults, ...(policy === true ? {} : policy) };
  const problems = problemsOf(`tools.${tool}`, p);
  if (problems.length > 0) throw new IdempotencyPolicyError(problems);
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
    normalizeFromSchema: p.normalizeFromSchema ?? true,
    ttlMs: p.ttlMs ?? DEFAULT_TTL_MS,
    leaseMs,
    onInProgress: p.onInProgress ?? "wait",
    waitMs: p.waitMs ?? leaseMs + 5000,
    onPayloadMismatch: p.onPayloadMismatch ?? "replay",
    cacheErrors: p.cacheErrors ?? false,
    onUnknownOutcome: p.onUnknownOutcome ?? "reexecute",
    responseId: p.responseId,
    scope: p.scope,
  };
}

/** An engine's tool policies, resolved: `Idempotency.policies`. */
export interface PolicyTable {
  /** The policy of `tool`, or undefined when the tool is not guarded. */
  get(tool: string): ResolvedPolicy | undefined;
  /** The policies as configured, for packages that derive keys the same way (the callback handler). */
  readonly tools: ToolPolicies;
  /** The defaults as configured. */
  readonly defaults: PolicyDefaults;
}

/** Resolves every listed tool once; unlisted tools resolve lazily when `guard: "all"`. */
export function createPolicyTable(tools: ToolPolicies = {}, defaults: PolicyDefaults = {}, warn?: (message: string) => void): PolicyTable {
  const problems = policyTableProblems(tools, defaults);
  if (problems.length > 0) throw new IdempotencyPolicyError(problems);
  const { guard = "listed", ...base } = defaults;
  const table = new Map<string, ResolvedPolicy>();
  // `false`: never guarded, even under guard: "all" (a read-only tool in a guard-everything engine).
  const never = new Set<string>();
  for (const [tool, policy] of Object.entries(tools)) {
    if (policy === false) never.add(tool);
    else table.set(tool, resolvePolicy(tool, policy, base, warn));
  }
  return {
    get(tool: string): ResolvedPolicy | undefined {
      let p = table.get(tool);
      if (!p && guard === "all" && !never.has(tool)) {
        p = resolvePolicy(tool, {}, base, warn);
        table.set(tool, p);
      }
      return p;
    },
    tools,
    defaults,
  };
}
