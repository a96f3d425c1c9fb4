/**
 * The options of `IdempotencyCallbackHandler`, and what is checked when it is built: as under the
 * node and the middleware, every mistake fails at construction in one `IdempotencyPolicyError`
 * with a "did you mean", rather than as a `TypeError` logged on every tool call (a missing
 * `audit`) or a key that silently differs from the engine's (policies that do not fit the tools).
 */
import type { AuditEntry, AuditSink, Clock, Idempotency, ToolPolicies } from "@agent-idempotency/core";
import { IdempotencyPolicyError } from "@agent-idempotency/core";
import { policyTableProblems, unknownFieldProblems } from "@agent-idempotency/core/internal";
import type { ConstructionCheck } from "@agent-idempotency/langgraph";
import type { NamedTool } from "@agent-idempotency/langgraph/internal";
import { CONSTRUCTION_CHECKS, enginePolicies, isEngine, rawPolicies, settleFindings, toolFindings } from "@agent-idempotency/langgraph/internal";
import type { DuplicateToolCall } from "./duplicate-window.js";

/** Options of `new IdempotencyCallbackHandler(options)`. */
export interface IdempotencyCallbackHandlerOptions {
  /** Where entries go (`MemoryAuditLog`, `JsonlAuditLog`, a store's audit table). */
  audit: AuditSink;
  /** Per-tool policies, as the engine takes them: the keys and response ids of unguarded calls are derived with them. */
  policies?: ToolPolicies | undefined;
  /**
   * The engine that runs the observed agent's tools: its policies apply when `policies` is absent.
   * Not needed to leave the engine's calls to it: their runs carry `ENGINE_RUN_METADATA`.
   */
  idempotency?: Idempotency | undefined;
  /**
   * The agent's tools (the array given to `createAgent` or the ToolNode). Callbacks see a tool's
   * input as the model wrote it and never its schema, so with them the handler parses the input
   * as the tool does and derives normalizers from the schema (`normalizeFromSchema`): its keys
   * are then the engine's for the same call. The policies are checked against them at
   * construction. Without them, a tool with a policy is warned about once.
   */
  tools?: readonly NamedTool[] | undefined;
  /** Checks against `tools` that warn instead of throwing: `"unknown-tool"`, `"schema-path"`. */
  warnOnly?: readonly ConstructionCheck[] | undefined;
  /** Two executions of one action this close together are a duplicate. Default 60 000. */
  windowMs?: number | undefined;
  /** Called for each duplicate execution; awaited, and its failures are reported, never thrown. */
  onDuplicate?: ((duplicate: DuplicateToolCall) => void | Promise<void>) | undefined;
  /** The session of runs without a `thread_id` (a single tool call, an older agent loop). */
  sessionId?: string | undefined;
  /** A sink (or `onDuplicate`) failed; the observed run carries on. Default: `console.warn`. */
  onAuditError?: ((error: unknown, entry: AuditEntry | undefined) => void) | undefined;
  /** Configuration lint (`warnOnly` findings, a tool observed without its schema). Default: the engine's `onWarning`, else `console.warn`. */
  onWarning?: ((message: string) => void) | undefined;
  /** The time of entries (`ts`, `duration_ms`) and of the duplicate window; a fake one makes tests deterministic. Default: `systemClock`. */
  clock?: Clock | undefined;
}

/** The fields of {@link IdempotencyCallbackHandlerOptions}; any other fails at construction. */
const IDEMPOTENCY_CALLBACK_HANDLER_OPTION_FIELDS: readonly (keyof IdempotencyCallbackHandlerOptions)[] = [
  "audit",
  "policies",
  "idempotency",
  "tools",
  "warnOnly",
  "windowMs",
  "onDuplicate",
  "sessionId",
  "onAuditError",
  "onWarning",
  "clock",
];

const WHO = "IdempotencyCallbackHandler";

/** Where the handler's warnings go. @internal */
export function warningSink(options: IdempotencyCallbackHandlerOptions): (message: string) => void {
  if (options.onWarning !== undefined) return options.onWarning;
  const engine = options.idempotency;
  if (engine !== undefined) return (m) => engine.warn(m);
  return (m) => console.warn(`[agent-idempotency] [langchain] ${WHO}: ${m}`);
}

/**
 * Throws one {@link IdempotencyPolicyError} naming every problem of `options`; warnings
 * (`warnOnly`) go to `warn`. @internal
 */
export function checkHandlerOptions(options: IdempotencyCallbackHandlerOptions, warn: (message: string) => void): void {
  if (typeof options !== "object" || options === null) {
    throw new IdempotencyPolicyError(`options are required: new ${WHO}({ audit: new MemoryAuditLog(), policies, tools })`, { subject: WHO });
  }
  const o = options as IdempotencyCallbackHandlerOptions & Record<string, unknown>;
  const problems = unknownFieldProblems("options", o, IDEMPOTENCY_CALLBACK_HANDLER_OPTION_FIELDS);
  const sinkHint = "pass new MemoryAuditLog(), new JsonlAuditLog(path), or a store package's audit log";
  if (o.audit === undefined || o.audit === null) problems.push(`audit: missing; ${sinkHint} (the handler writes its entries there)`);
  else if (typeof (o.audit as { write?: unknown }).write !== "function") problems.push(`audit: not an audit sink (no write()); ${sinkHint}`);
  if (o.windowMs !== undefined && !(typeof o.windowMs === "number" && Number.isFinite(o.windowMs) && o.windowMs >= 0)) {
    problems.push(`options.windowMs must be a non-negative number of milliseconds, got ${JSON.stringify(o.windowMs)}`);
  }
  if (o.sessionId !== undefined && typeof o.sessionId !== "string") problems.push(`options.sessionId must be a string, got ${JSON.stringify(o.sessionId)}`);
  for (const fn of ["onDuplicate", "onAuditError", "onWarning"] as const) {
    if (o[fn] !== undefined && typeof o[fn] !== "function") problems.push(`options.${fn} must be a function`);
  }
  if (o.clock !== undefined && typeof (o.clock as { now?: unknown } | null)?.now !== "function") problems.push("options.clock must have now(): epoch milliseconds");
  if (o.idempotency !== undefined && !(typeof o.idempotency === "object" && o.idempotency !== null && isEngine(o.idempotency))) {
    problems.push("options.idempotency must be an engine from createIdempotency (its policies apply when policies is absent)");
  }
  // The engine's policy table rules, under the option's own name.
  const policyProblems = o.policies === undefined ? [] : policyTableProblems(o.policies, undefined);
  problems.push(...policyProblems.map((p) => p.replace(/^tools(\.|:)/, "policies$1")));
  const warnOnly = o.warnOnly ?? [];
  if (!Array.isArray(warnOnly) || warnOnly.some((c) => !CONSTRUCTION_CHECKS.includes(c))) {
    problems.push(`options.warnOnly must list checks among ${CONSTRUCTION_CHECKS.map((c) => `"${c}"`).join(", ")}, got ${JSON.stringify(warnOnly)}`);
  }
  const tools = o.tools;
  if (tools !== undefined && !(Array.isArray(tools) && tools.every((t) => typeof (t as { name?: unknown } | null)?.name === "string"))) {
    problems.push("options.tools must be the agent's tools (an array of tools, each with a name)");
  } else if (tools !== undefined) {
    const own = o.policies !== undefined;
    const engine = o.idempotency !== undefined && isEngine(o.idempotency) ? o.idempotency : undefined;
    const source = own ? rawPolicies(o.policies, undefined) : engine !== undefined ? enginePolicies(engine) : undefined;
    if (source !== undefined) problems.push(...settleFindings(warn, toolFindings(source, tools, "the agent", own ? "policies" : "tools"), Array.isArray(warnOnly) ? warnOnly : []));
  }
  if (problems.length > 0) throw new IdempotencyPolicyError(problems, { subject: WHO });
}
