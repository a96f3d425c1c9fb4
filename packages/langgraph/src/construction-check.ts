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
import { resolveEngine } from "./options.js";
import type { ScopeOption } from "./scope.js";
import { missingPath, toolJsonSchema } from "./tool-schema.js";

/** A check that `warnOnly` can turn into a warning. */
export type ConstructionCheck = "unknown-tool" | "schema-path";

/** Every check `warnOnly` accepts. */
export const CONSTRUCTION_CHECKS: readonly ConstructionCheck[] = ["unknown-tool", "schema-path"];

/** A tool as the checks read it: its name and, when it has one, its argument schema. */
export interface NamedTool {
  name: string;
  schema?: unknown;
}

/** One finding, and which check made it. */
export interface ToolFinding {
  check: ConstructionCheck;
  problem: string;
}

/**
 * Every policy of `engine` that does not fit `tools`: policies for tools not in the list, and
 * identity or normalize paths a tool's schema lacks.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function toolFindings(engine: Idempotency, tools: readonly NamedTool[], who: string): ToolFinding[] {
  const findings: ToolFinding[] = [];
  const names = tools.map((t) => t.name);
  for (const name of Object.keys(engine.policies.tools ?? {})) {
    if (names.includes(name)) continue;
    findings.push({
      check: "unknown-tool",
      problem:
        `tools.${name}: a policy for a tool ${who} was not given${didYouMean(name, names)}, so no call is guarded by it; ` +
        `its tools are ${names.length === 0 ? "(none)" : names.join(", ")}. Fix the name, or pass warnOnly: ["unknown-tool"] when the engine is shared or the tool comes later`,
    });
  }
  for (const tool of tools) {
    const policy = engine.policy(tool.name);
    if (policy === undefined) continue;
    const schema = toolJsonSchema(tool);
    if (schema === undefined) continue;
    const paths = [
      ...(Array.isArray(policy.identity) ? (policy.identity as readonly string[]).map((p) => ["identity", p] as const) : []),
      ...Object.keys(policy.normalize).map((p) => ["normalize", p] as const),
    ];
    for (const [field, path] of paths) {
      let segments: (string | number)[];
      try {
        segments = parsePath(path);
      } catch {
        continue; // the engine already reported a malformed path
      }
      const miss = missingPath(schema, segments);
      if (miss === undefined) continue;
      const where = miss.parent === "" ? `${tool.name}'s schema` : `"${miss.parent}" in ${tool.name}'s schema`;
      const consequence = field === "identity" ? "the schema parse strips it, so every call would fail for a missing identity field" : "it would never be normalized";
      findings.push({
        check: "schema-path",
        problem: `tools.${tool.name}.${field}: "${path}" is not a field of ${tool.name}: ${where} has no "${miss.segment}"${didYouMean(miss.segment, miss.known)}; ${consequence}`,
      });
    }
  }
  return findings;
}

/**
 * Splits findings into problems (thrown) and warnings (`warnOnly`), sending the warnings to the
 * engine's `onWarning`.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function settleFindings(engine: Idempotency, findings: readonly ToolFinding[], warnOnly: readonly ConstructionCheck[]): string[] {
  const problems: string[] = [];
  for (const f of findings) {
    if (warnOnly.includes(f.check)) engine.warn(f.problem);
    else problems.push(f.problem);
  }
  return problems;
}

/** What {@link checkedEngine} builds. */
export interface CheckedEngine {
  engine: Idempotency;
  /** The `scope` option (the default for tools whose policy sets none). */
  scope: ScopeOption;
  warnOnly: readonly ConstructionCheck[];
}

/** The options {@link checkedEngine} reads. */
export interface CheckedEngineOptions {
  idempotency?: Idempotency | IdempotencyOptions | undefined;
  scope?: ScopeOption | undefined;
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
  let engine: Idempotency | undefined;
  try {
    engine = resolveEngine(options.idempotency, who, pkg);
  } catch (e) {
    if (!isIdempotencyError(e, "POLICY_INVALID")) throw e;
    // The engine's problems, under the option they came from.
    const under = (p: string) => (p.startsWith(`[${pkg}] `) ? p.slice(pkg.length + 3) : p.startsWith("options: ") ? `idempotency: ${p.slice(9)}` : `idempotency.${p}`);
    problems.push(...(e as IdempotencyPolicyError).problems.map(under));
  }
  if (engine !== undefined && options.scope !== undefined && engine.policies.defaults?.scope !== undefined) {
    problems.push("scope is set twice, as options.scope and as the engine's defaults.scope; keep one (a tool's own policy scope overrides either)");
  }
  if (engine !== undefined && tools !== undefined) problems.push(...settleFindings(engine, toolFindings(engine, tools, owner), Array.isArray(warnOnly) ? warnOnly : []));
  if (problems.length > 0 || engine === undefined) throw new IdempotencyPolicyError(problems, { subject: who });
  return { engine, scope, warnOnly };
}
