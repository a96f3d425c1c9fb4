/**
 * `idempotentTask(name, fn, options)`: LangGraph's functional-API `task`, with its side effect
 * claimed under a key, so it runs once per logical action.
 *
 * LangGraph already returns a finished task's result from the checkpoint on resume, but only once
 * that result is checkpointed: a process that dies after the effect and before the task's write
 * runs the task again on resume, and so does a whole invocation retried with the same input.
 * Here the task's function runs through the engine:
 *
 * 1. the key is derived from the task's name, its arguments (the policy's identity; a task with one
 *    argument is keyed by that argument, one with several by the array of them) and the scope:
 *    the thread (default), or a function of the config and arguments;
 * 2. the engine claims the key, and the function runs with the key in its run config, where
 *    `getIdempotencyKey()` (no argument) and `idempotencyHeaders()` find it;
 * 3. the result is recorded (it must be JSON, as a checkpointed task's result is anyway);
 * 4. a later call with the same key replays the recorded result without running the function: on
 *    resume after a crash, on a retried invocation, for a duplicate call in parallel. A replay
 *    emits `idempotency_replay` and shows in traces as a run tagged `idempotency:replayed` under
 *    the task's run;
 * 5. an `interrupt()` inside the function passes through and releases the claim, so the resumed
 *    task claims it again; a failure releases it (or is recorded, with `cacheErrors`), so a task
 *    `retry` policy retries under the same key.
 */
import type { Idempotency, IdempotencyOptions, ToolPolicy } from "@agent-idempotency/core";
import { IdempotencyKeyError, IdempotencyPolicyError, isIdempotencyError } from "@agent-idempotency/core";
import { unknownFieldProblems } from "@agent-idempotency/core/internal";
import type { RunnableConfig } from "@langchain/core/runnables";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { TaskOptions } from "@langchain/langgraph";
import { getConfig, isGraphBubbleUp, task } from "@langchain/langgraph";
import { runWithToolIdempotency, withToolIdempotency } from "./get-idempotency-key.js";
import { actionEngine } from "./action-engine.js";
import type { IdempotencyMetadata } from "./recorded-output.js";
import { emitReplay } from "./replay-event.js";
import { traceReplay } from "./replay-run.js";
import type { ScopeConfig } from "./scope.js";
import { threadIdOf } from "./scope.js";

/** A task's scope function: a non-empty string that stays the same across retries and resumes. */
export type TaskScopeFunction = (config: ScopeConfig, args: unknown[]) => string;

/** Options of {@link idempotentTask}. */
export interface IdempotentTaskOptions {
  /** An engine from `createIdempotency`, or the options to create one. */
  idempotency: Idempotency | IdempotencyOptions;
  /** This task's policy. Default: the engine's policy for the task's name, else all defaults (every argument is identity). */
  policy?: ToolPolicy | true | undefined;
  /** `"thread"` (default): one action runs once per thread. Or `(config, args) => string`. */
  scope?: "thread" | TaskScopeFunction | undefined;
}

/**
 * A functional-API `task` whose side effect runs once per key: the same arguments on the same
 * thread replay the recorded result instead of running again, across crashes, resumes and retried
 * invocations. Call it inside an `entrypoint` like any task; inside the function,
 * `getIdempotencyKey()` is the key to forward upstream.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "@agent-idempotency/core";
 * import { getIdempotencyKey, idempotentTask } from "@agent-idempotency/langgraph";
 * import { entrypoint, MemorySaver } from "@langchain/langgraph";
 *
 * let charges = 0;
 * const charge = idempotentTask("charge_card", async (order: { id: string; cents: number }) => {
 *   charges++; // payments.charge(order, { idempotencyKey: getIdempotencyKey() })
 *   return { charge_id: `ch_${charges}`, key: getIdempotencyKey() };
 * }, { idempotency: { store: new MemoryStore() }, policy: { identity: ["id"] } });
 *
 * const checkout = entrypoint({ name: "checkout", checkpointer: new MemorySaver() }, async (order: { id: string; cents: number }) => charge(order));
 * const config = { configurable: { thread_id: "order-42" } };
 * await checkout.invoke({ id: "o-1", cents: 500 }, config);
 * await checkout.invoke({ id: "o-1", cents: 500 }, config); // the client retried: charges === 1
 * ```
 */
export function idempotentTask<ArgsT extends unknown[], OutputT>(
  optionsOrName: string | TaskOptions,
  fn: (...args: ArgsT) => Promise<OutputT> | OutputT,
  options: IdempotentTaskOptions,
): (...args: ArgsT) => Promise<OutputT> {
  const name = typeof optionsOrName === "string" ? optionsOrName : optionsOrName?.name;
  if (typeof name !== "string" || name === "") throw new IdempotencyPolicyError("[agent-idempotency] [langgraph] idempotentTask needs a name (a string, or TaskOptions with one)");
  const scopeOption = options?.scope ?? "thread";
  const engine = checkedTaskEngine(name, fn, options);

  const guarded = async (...args: ArgsT): Promise<OutputT> => {
    const config = getConfig() as RunnableConfig;
    const scope = resolveTaskScope(scopeOption, config, args, name);
    const result = await taskKeyed(name, () => engine.run(
      { action: name, args: args.length === 1 ? args[0] : args, ...scope, signal: config.signal, passthrough: isGraphBubbleUp },
      ({ key, attempt, signal }) => {
        if (key === undefined) return runWithToolIdempotency(undefined, () => fn(...args));
        // The task's own run config with the key in it: getIdempotencyKey() reads it from the
        // async context, and interrupt(), getWriter() and nested tasks still find theirs.
        const keyed = withToolIdempotency(config, { key, attempt }, signal);
        return runWithToolIdempotency({ key, attempt }, () => AsyncLocalStorageProviderSingleton.runWithConfig(keyed, () => fn(...args)));
      },
    ));
    if (result.replayed) {
      const meta: IdempotencyMetadata = { key: result.key ?? "", replayed: true, outcome: result.outcome, attempt: result.attempt, recordedAt: result.recordedAt };
      await emitReplay(config, { tool: name, key: meta.key, tool_call_id: "", outcome: meta.outcome, attempt: meta.attempt, recordedAt: meta.recordedAt });
      await traceReplay(config, { kind: "chain", name, input: args, meta, output: result.value });
    }
    return result.value;
  };
  return task(optionsOrName, guarded as (...args: ArgsT) => Promise<OutputT>) as (...args: ArgsT) => Promise<OutputT>;
}

/** The fields of {@link IdempotentTaskOptions}; any other fails when the task is defined. */
const IDEMPOTENT_TASK_OPTION_FIELDS: readonly (keyof IdempotentTaskOptions)[] = ["idempotency", "policy", "scope"];

/**
 * The engine of task `name`, every option checked at definition: the function, unknown options
 * (`polcy`), the scope, and the engine's own problems, all in one {@link IdempotencyPolicyError}.
 */
function checkedTaskEngine(name: string, fn: unknown, options: IdempotentTaskOptions | undefined): Idempotency {
  const who = `idempotentTask ${name}`;
  const problems: string[] = [];
  if (typeof fn !== "function") problems.push("the task's function is missing: idempotentTask(name, async (args) => …, { idempotency })");
  if (typeof options !== "object" || options === null) {
    problems.push("options are required: idempotentTask(name, fn, { idempotency: { store }, policy })");
    throw new IdempotencyPolicyError(problems, { subject: who });
  }
  problems.push(...unknownFieldProblems("options", options, IDEMPOTENT_TASK_OPTION_FIELDS));
  const scope = options.scope;
  if (scope !== undefined && scope !== "thread" && typeof scope !== "function") {
    problems.push(`options.scope must be "thread" or a function (config, args) => string, got ${JSON.stringify(scope)}`);
  }
  const { engine, problems: engineProblems } = actionEngine(name, options, who, "langgraph");
  problems.push(...engineProblems);
  if (problems.length > 0 || engine === undefined) throw new IdempotencyPolicyError(problems, { subject: who });
  return engine;
}

/**
 * Core's "missing identity field" speaks of a tool call a model sends; a task's arguments come
 * from the code that calls it, so the error says that instead.
 */
async function taskKeyed<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const field = isIdempotencyError(error, "KEY_INVALID") ? (error as IdempotencyKeyError).field : undefined;
    if (field === undefined || !/ is missing from the arguments/.test((error as Error).message)) throw error;
    throw new IdempotencyKeyError(
      `${name}: the identity field "${field}" is missing from the task's arguments; call the task with it, or remove it from the policy's identity`,
      { field, cause: error },
    );
  }
}

/**
 * The scope of a task call: the thread, or the scope function's answer. Without a thread id
 * (an entrypoint without a checkpointer, which cannot resume anyway) the keys are scoped to the
 * entrypoint's invocation, the root of the checkpoint namespace, so duplicates and task retries
 * within it still replay and nothing is shared with other invocations.
 */
function resolveTaskScope(option: "thread" | TaskScopeFunction, config: RunnableConfig, args: unknown[], name: string): { scope: string; sessionId: string } {
  const threadId = threadIdOf(config);
  if (typeof option === "function") {
    const scope = option(config, args);
    if (typeof scope !== "string" || scope === "") {
      throw new IdempotencyKeyError(`${name}: the task's scope function returned ${JSON.stringify(scope)}; return a non-empty string that stays the same across retries`);
    }
    return { scope: `fn:${scope}`, sessionId: threadId ?? scope };
  }
  if (threadId !== undefined) return { scope: `thread:${threadId}`, sessionId: threadId };
  const ns = config.configurable?.["checkpoint_ns"];
  const root = typeof ns === "string" ? ns.split("|")[0] : undefined;
  if (root === undefined || root === "") {
    throw new IdempotencyKeyError(`${name}: no thread_id in config.configurable and no invocation to scope the task's keys to; invoke the entrypoint with { configurable: { thread_id } }`);
  }
  return { scope: `invocation:${root}`, sessionId: root };
}
