/**
 * What `withIdempotency(tool, options)` checks when it wraps a tool, as the node and the middleware
 * do when they are built: unknown options (`sesionId`), the engine's own problems, and the tool's
 * policy against the tool's schema (an identity path the zod schema does not declare is stripped by
 * the parse, so every call would fail later as "missing"). All of them in one
 * {@link IdempotencyPolicyError} with a "did you mean".
 */
import type { Idempotency, IdempotencyOptions, ToolPolicy } from "@agent-idempotency/core";
import { IdempotencyPolicyError } from "@agent-idempotency/core";
import { unknownFieldProblems } from "@agent-idempotency/core/internal";
import type { ConstructionCheck } from "@agent-idempotency/langgraph";
import { actionEngine, enginePolicies, isEngine, rawPolicies, schemaPathFindings, settleFindings, toolJsonSchema } from "@agent-idempotency/langgraph/internal";

/** The checks `withIdempotency`'s `warnOnly` accepts: only its tool's schema can disagree. */
const CHECKS: readonly ConstructionCheck[] = ["schema-path"];

/** The fields of `WithIdempotencyOptions`; any other fails when the tool is wrapped. */
const WITH_IDEMPOTENCY_OPTION_FIELDS: readonly (keyof Options)[] = ["idempotency", "policy", "sessionId", "warnOnly"];

/** The options the check reads (`WithIdempotencyOptions`). */
interface Options {
  idempotency?: Idempotency | IdempotencyOptions | undefined;
  policy?: ToolPolicy | true | undefined;
  sessionId?: unknown;
  warnOnly?: readonly ConstructionCheck[] | undefined;
}

/**
 * The engine that guards `tool` with the given policy, every option checked; throws one
 * {@link IdempotencyPolicyError} naming every problem. @internal
 */
export function checkedToolEngine(tool: { name: string; schema?: unknown }, options: Options | undefined): Idempotency {
  const who = "withIdempotency";
  if (typeof options !== "object" || options === null) {
    throw new IdempotencyPolicyError(`options are required: withIdempotency(tool, { idempotency: { store }, policy, sessionId })`, { subject: who });
  }
  const problems = unknownFieldProblems("options", options, WITH_IDEMPOTENCY_OPTION_FIELDS);
  const s = options.sessionId;
  if (s !== undefined && typeof s !== "function" && (typeof s !== "string" || s === "")) {
    problems.push(`options.sessionId must be a non-empty string or a function (config) => string, got ${JSON.stringify(s)}`);
  }
  const warnOnly = options.warnOnly ?? [];
  if (!Array.isArray(warnOnly) || warnOnly.some((c) => !CHECKS.includes(c))) {
    problems.push(`options.warnOnly must list checks among "schema-path", got ${JSON.stringify(warnOnly)}`);
  }
  const { engine, problems: engineProblems } = actionEngine(tool.name, options, who, "langchain");
  problems.push(...engineProblems);
  // The policy against the tool's schema: from the engine, or read from the raw options.
  const schema = toolJsonSchema(tool);
  if (schema !== undefined) {
    const raw = options.idempotency !== undefined && options.idempotency !== null && !isEngine(options.idempotency) ? options.idempotency : undefined;
    const source = engine !== undefined && engine.policy(tool.name) !== undefined ? enginePolicies(engine) : rawPolicies({ [tool.name]: options.policy ?? raw?.tools?.[tool.name] ?? true }, raw?.defaults);
    const paths = source.paths(tool.name);
    if (paths !== undefined) {
      const where = options.policy !== undefined ? "policy" : `idempotency.tools.${tool.name}`;
      const all = [...paths.identity.map((p) => ["identity", p] as const), ...paths.normalize.map((p) => ["normalize", p] as const)];
      const findings = schemaPathFindings(tool.name, schema, all, where);
      const warn = engine !== undefined ? (m: string) => engine.warn(m) : () => undefined;
      problems.push(...settleFindings(warn, findings, Array.isArray(warnOnly) ? warnOnly : []));
    }
  }
  if (problems.length > 0 || engine === undefined) throw new IdempotencyPolicyError(problems, { subject: who });
  return engine;
}
