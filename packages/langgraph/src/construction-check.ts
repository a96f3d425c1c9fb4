/**
 * What `IdempotentToolNode` and langchain's `idempotencyMiddleware` check when they are built,
 * beyond what the engine checks on its own: their own options, and the policies against the tools
 * they were given. Everything found goes into one {@link IdempotencyPolicyError}, so a typo never
 * leaves a tool silently unguarded:
 *
 * - `"unknown-tool"`: a policy names a tool that is not in the list (`send_invoce` for
 *   `send_invoice`), so the real tool would run unguarded;
 * - `"schema-path"`: an identity or normalize path that the tool's schema does not declare; zod
 *   strips undeclared fields before the key is computed, so every call would fail as "missing".
 *
 * `warnOnly` turns a check into a warning, for a real need: an engine shared by several nodes
 * (each holds only some of the tools), tools registered later, a loose schema.
 */
import type { Idempotency, IdempotencyOptions } from "@agent-idempotency/core";
import { didYouMean, parsePath, unknownFieldProblems } from "@agent-idempotency/core/internal";
import { IdempotencyPolicyError, isIdempotencyError } from "@agent-idempotency/core";
import { underIdempotency } from "./action-engine.js";
import { resolveEngine } from "./options.js";
import type { ScopeOption } from "./scope.js";
import type { JsonSchemaNode } from "./tool-schema.js";
import { missingPath, toolJsonSchema } from "./tool-schema.js";

/** A check that `warnOnly` can turn into a warning. */
export type ConstructionCheck = "unknown-tool" | "schema-path";

/** Every check `warnOnly` accepts. */
export const CONSTRUCTION_CHECKS: readonly ConstructionCheck[] = ["unknown-tool", "schema-path"];

/** A tool as the checks read it: its name and, when it has one, its argument schema. */
export interface NamedTool {
  /** The name the model calls it by, which the policy table is keyed on. */
  name: string;
  /** Its argument schema (zod 3, zod 4 or JSON schema); absent (a `DynamicTool`), no path is checked. */
  schema?: unknown;
}

/** One finding, and which check made it. */
export interface ToolFinding {
  /** The check that found it, which `warnOnly` may turn into a warning. */
  check: ConstructionCheck;
  /** One sentence naming the policy, the tool and the fix, with a "did you mean" when there is one. */
  problem: string;
}

/**
 * The policies the checks read: the tools that have one, and each tool's identity and normalize
 * paths. From a built engine, or from the raw options when the engine could not be built (so its
 * problems and these are reported together).
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export interface PolicySource {
  /** The tools the policy table names (`false` entries included: a misspelt one is still a typo). */
  names: readonly string[];
  /** The field paths of `tool`'s policy (defaults applied), or undefined when it is not guarded. */
  paths(tool: string): { identity: readonly string[]; normalize: readonly string[] } | undefined;
}

const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((p): p is string => typeof p === "string") : []);
const keysOf = (x: unknown): string[] => (typeof x === "object" && x !== null && !Array.isArray(x) ? Object.keys(x) : []);
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** The policies of a built engine. @internal */
export function enginePolicies(engine: Idempotency): PolicySource {
  return {
    names: Object.keys(engine.policies.tools ?? {}),
    paths(tool) {
      const policy = engine.policy(tool);
      return policy === undefined ? undefined : { identity: strings(policy.identity), normalize: Object.keys(policy.normalize) };
    },
  };
}

/**
 * The policies of engine options that may not validate (`identty`, a missing store): read as
 * leniently as possible, so a node can report the policies' tool and schema problems in the same
 * error as the engine's own.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function rawPolicies(tools: unknown, defaults: unknown): PolicySource {
  const table = isObject(tools) ? tools : {};
  const { guard, ...base } = isObject(defaults) ? defaults : {};
  return {
    names: Object.keys(table),
    paths(tool) {
      const own = Object.prototype.hasOwnProperty.call(table, tool) ? table[tool] : guard === "all" ? true : undefined;
      if (own === undefined || own === false || !(own === true || isObject(own))) return undefined;
      const merged: Record<string, unknown> = { ...base, ...(own === true ? {} : own) };
      return { identity: strings(merged["identity"]), normalize: keysOf(merged["normalize"]) };
    },
  };
}

/**
 * Every policy that does not fit `tools`: policies for tools not in the list, and identity or
 * normalize paths a tool's schema lacks. `policies` is an engine, or a {@link PolicySource};
 * `field` is the option the policies were given as, for the messages (`tools.send_invoce`).
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function toolFindings(policies: Idempotency | PolicySource, tools: readonly NamedTool[], who: string, field = "tools"): ToolFinding[] {
  const source = "names" in policies ? policies : enginePolicies(policies);
  const findings: ToolFinding[] = [];
  const names = tools.map((t) => t.name);
  for (const name of source.names) {
    if (names.includes(name)) continue;
    findings.push({
      check: "unknown-tool",
      problem:
        `${field}.${name}: a policy for a tool ${who} was not given${didYouMean(name, names)}, so no call is guarded by it; ` +
        `its tools are ${names.length === 0 ? "(none)" : names.join(", ")}. Fix the name, or pass warnOnly: ["unknown-tool"] when the engine is shared or the tool comes later`,
    });
  }
  for (const tool of tools) {
    const paths = source.paths(tool.name);
    if (paths === undefined) continue;
    const schema = toolJsonSchema(tool);
    if (schema === undefined) continue;
    const all = [...paths.identity.map((p) => ["identity", p] as const), ...paths.normalize.map((p) => ["normalize", p] as const)];
    findings.push(...schemaPathFindings(tool.name, schema, all, `${field}.${tool.name}`));
  }
  return findings;
}

/**
 * One finding per path that `schema` (the JSON schema of tool `name`) does not declare.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function schemaPathFindings(name: string, schema: JsonSchemaNode, paths: readonly (readonly ["identity" | "normalize", string])[], where = `tools.${name}`): ToolFinding[] {
  const findings: ToolFinding[] = [];
  for (const [field, path] of paths) {
    let segments: (string | number)[];
    try {
      segments = parsePath(path);
    } catch {
      continue; // the engine already reported a malformed path
    }
    const miss = missingPath(schema, segments);
    if (miss === undefined) continue;
    const at = miss.parent === "" ? `${name}'s schema` : `"${miss.parent}" in ${name}'s schema`;
    const consequence = field === "identity" ? "the schema parse strips it, so every call would fail for a missing identity field" : "it would never be normalized";
    findings.push({
      check: "schema-path",
      problem: `${where}.${field}: "${path}" is not a field of ${name}: ${at} has no "${miss.segment}"${didYouMean(miss.segment, miss.known)}; ${consequence}`,
    });
  }
  return findings;
}

/**
 * Splits findings into problems (thrown) and warnings (`warnOnly`), sending the warnings to
 * `warn` (an engine's `onWarning`, through `engine.warn`).
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function settleFindings(warn: Idempotency | ((message: string) => void), findings: readonly ToolFinding[], warnOnly: readonly ConstructionCheck[]): string[] {
  const problems: string[] = [];
  for (const f of findings) {
    if (!warnOnly.includes(f.check)) problems.push(f.problem);
    else if (typeof warn === "function") warn(f.problem);
    else warn.warn(f.problem);
  }
  return problems;
}

/** What {@link checkedEngine} builds. */
export interface CheckedEngine {
  /** The engine the `idempotency` option gave, or built from its options. */
  engine: Idempotency;
  /** The `scope` option (the default for tools whose policy sets none). */
  scope: ScopeOption;
  /** The checks that only warned; default none. */
  warnOnly: readonly ConstructionCheck[];
}

/** The options {@link checkedEngine} reads. */
export interface CheckedEngineOptions {
  /** An engine from `createIdempotency`, or its options; required (its absence is one of the problems reported). */
  idempotency?: Idempotency | IdempotencyOptions | undefined;
  /** The default scope of the tools whose policy sets none. Default `"turn"`. */
  scope?: ScopeOption | undefined;
  /** Checks against the tools that warn instead of throwing. Default: none. */
  warnOnly?: readonly ConstructionCheck[] | undefined;
}

/**
 * The engine of a node or middleware, with every check made at once: `who`'s options (unknown
 * fields against `knownOptions`), the engine's own options when they are given as options, the
 * scope, and the policies against `tools` when the tools are known (`owner` names who holds
 * them in messages: "the agent"). Throws one
 * {@link IdempotencyPolicyError} naming every problem.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function checkedEngine(
  who: string,
  pkg: string,
  options: CheckedEngineOptions | undefined,
  knownOptions: readonly string[],
  tools: readonly NamedTool[] | undefined,
  owner = who,
): CheckedEngine {
  if (typeof options !== "object" || options === null) {
    throw new IdempotencyPolicyError(`options are required: ${who}(…, { idempotency: { store, tools } })`, { subject: who });
  }
  const problems = unknownFieldProblems("options", options, knownOptions);
  const scope = options.scope ?? "turn";
  if (!(scope === "turn" || scope === "thread" || typeof scope === "function")) {
    problems.push(`options.scope must be "turn", "thread" or a function (config, state, { name, args }) => string, got ${JSON.stringify(scope)}`);
  }
  const warnOnly = options.warnOnly ?? [];
  if (!Array.isArray(warnOnly) || warnOnly.some((c) => !CONSTRUCTION_CHECKS.includes(c))) {
    problems.push(`options.warnOnly must list checks among ${CONSTRUCTION_CHECKS.map((c) => `"${c}"`).join(", ")}, got ${JSON.stringify(warnOnly)}`);
  }
  const handleToolErrors = (options as { handleToolErrors?: unknown }).handleToolErrors;
  if (knownOptions.includes("handleToolErrors") && handleToolErrors !== undefined && typeof handleToolErrors !== "boolean") {
    problems.push(`options.handleToolErrors must be true or false, got ${JSON.stringify(handleToolErrors)}${typeof handleToolErrors === "string" ? " (a string)" : ""}`);
  }
  const checks = Array.isArray(warnOnly) ? warnOnly : [];
  let engine: Idempotency | undefined;
  try {
    engine = resolveEngine(options.idempotency, who, pkg);
  } catch (e) {
    if (!isIdempotencyError(e, "POLICY_INVALID")) throw e;
    // The engine's problems, under the option they came from.
    problems.push(...(e as IdempotencyPolicyError).problems.map((p) => underIdempotency(p, pkg)));
    // And the policies against the tools, read from the raw options: every problem in one error,
    // not the next one only after the first is fixed. (The error is thrown: warnings are moot.)
    const raw = options.idempotency as Partial<IdempotencyOptions> | undefined;
    if (tools !== undefined && typeof raw === "object" && raw !== null) {
      problems.push(...settleFindings(() => undefined, toolFindings(rawPolicies(raw.tools, raw.defaults), tools, owner), checks));
    }
  }
  if (engine !== undefined && options.scope !== undefined && engine.policies.defaults?.scope !== undefined) {
    problems.push("scope is set twice, as options.scope and as the engine's defaults.scope; keep one (a tool's own policy scope overrides either)");
  }
  if (engine !== undefined && tools !== undefined) problems.push(...settleFindings(engine, toolFindings(engine, tools, owner), checks));
  if (problems.length > 0 || engine === undefined) throw new IdempotencyPolicyError(problems, { subject: who });
  return { engine, scope, warnOnly };
}
