/**
 * The engine of one guarded action that brings its own policy: a tool wrapped by
 * `withIdempotency` (`@agent-idempotency/langchain`), an `idempotentTask`. Both take the same
 * `{ idempotency, policy }` options and build the engine the same way, so they report its problems
 * the same way too: under the option each came from.
 */
import type { Idempotency, IdempotencyOptions, IdempotencyPolicyError, ToolPolicy } from "@agent-idempotency/core";
import { isIdempotencyError } from "@agent-idempotency/core";
import { isEngine, resolveEngine } from "./options.js";

/** The options {@link actionEngine} reads. */
export interface ActionEngineOptions {
  /** An engine from `createIdempotency`, or the options to create one. */
  idempotency?: Idempotency | IdempotencyOptions | undefined;
  /** The action's policy. Default: the engine's policy for the action's name, else all defaults. */
  policy?: ToolPolicy | true | undefined;
}

/**
 * The engine that guards action `name` with its policy, or (when it cannot be built) the
 * problems why, each under the option it came from (`policy.identity…`, `idempotency.store…`).
 * `who` and `pkg` name the caller in the error for a missing engine. Errors other than
 * `POLICY_INVALID` are thrown.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function actionEngine(name: string, options: ActionEngineOptions, who: string, pkg: string): { engine: Idempotency | undefined; problems: string[] } {
  try {
    return { engine: engineFor(name, options, who, pkg), problems: [] };
  } catch (e) {
    if (!isIdempotencyError(e, "POLICY_INVALID")) throw e;
    const own = `tools.${name}`;
    const under = (p: string) =>
      options.policy !== undefined && (p.startsWith(`${own}:`) || p.startsWith(`${own}.`))
        ? `policy${p.slice(own.length)}` // the action's policy was given as options.policy
        : underIdempotency(p, pkg);
    return { engine: undefined, problems: (e as IdempotencyPolicyError).problems.map(under) };
  }
}

/**
 * An engine problem under the `idempotency` option it came from (`idempotency.tools.x…`,
 * `idempotency: …` for the options object itself); a problem of the caller's own (tagged
 * `[pkg]`, a missing engine) loses the tag.
 * @internal
 */
export function underIdempotency(problem: string, pkg: string): string {
  const tag = `[${pkg}] `;
  if (problem.startsWith(tag)) return problem.slice(tag.length);
  return problem.startsWith("options: ") ? `idempotency: ${problem.slice(9)}` : `idempotency.${problem}`;
}

function engineFor(name: string, options: ActionEngineOptions, who: string, pkg: string): Idempotency {
  const given = options.idempotency;
  if (typeof given === "object" && given !== null && !isEngine(given)) {
    // Options: the engine is created with this action's policy in its table.
    return resolveEngine({ ...given, tools: { ...given.tools, [name]: options.policy ?? given.tools?.[name] ?? true } });
  }
  const engine = resolveEngine(given, who, pkg);
  if (options.policy === undefined && engine.policy(name) !== undefined) return engine;
  // An engine's policy table is fixed when it is created: `extend` gives one with this policy that
  // keeps everything else (store, sinks, clock, defaults, onStoreError, onWarning, protect, ...).
  // Single flight then holds per engine, the store's claim across all of them.
  return engine.extend({ tools: { [name]: options.policy ?? true } });
}
