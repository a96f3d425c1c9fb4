/**
 * How a tool run tells observers that the engine runs it, and so writes its audit entry.
 * `IdempotentToolNode`, `idempotencyMiddleware` and `withIdempotency` start every tool run they
 * pass through the engine with one metadata entry, so `IdempotencyCallbackHandler` knows at
 * `handleToolStart` (callbacks see a run's metadata, never its `configurable`) that it must not
 * write a second entry for the call. The value holds the key, a hash, never the arguments, so it
 * is safe in traces.
 */
import type { ToolIdempotency } from "./get-idempotency-key.js";
import { CONFIG_KEY } from "./get-idempotency-key.js";
import { copyOf, copyWith } from "./plain-copy.js";
import { withTraceMetadata } from "./trace-metadata.js";

/** The run metadata entry that marks a tool run the engine runs (and logs). */
export const ENGINE_RUN_METADATA = "agent_idempotency";

/** Its value: whether a policy guards the call, and the call's key when it does. */
export interface EngineRunMark {
  /** True when a tool policy guards the call; false for an unguarded tool, run through the engine only so that its audit entry says `unguarded`. */
  guarded: boolean;
  /** The call's idempotency key (a hash, never the arguments); set only when `guarded`. */
  key?: string | undefined;
  /** True on the run a replay is reported as (`replay-run.ts`): the tool did not run. */
  replayed?: boolean | undefined;
}

interface ConfigLike {
  configurable?: Record<string, unknown> | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/**
 * A copy of `config` whose `metadata` carries `mark`, where callback handlers see it.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function markEngineRun<C extends ConfigLike>(config: C, mark: EngineRunMark): C {
  const out = copyOf(config);
  out.metadata = copyWith(config.metadata, ENGINE_RUN_METADATA, mark);
  return out;
}

/**
 * A copy of a tool's run config for a call the engine runs: the key in `configurable`, where
 * `getIdempotencyKey(config)` reads it (none for an unguarded call, even inside a guarded one), and
 * the mark and the trace metadata (key, outcome `executed` or `unguarded`, attempt) in
 * `metadata`, where callback handlers and LangSmith see them; `signal`, when given, replaces the
 * config's. One copy of the config and of its metadata, made the fast way (`plain-copy.ts`): this
 * runs once per tool call.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function engineRunConfig<C extends ConfigLike & { signal?: AbortSignal | undefined }>(config: C, entry: ToolIdempotency | undefined, signal?: AbortSignal): C {
  const out = copyOf(config);
  out.metadata = runMetadata(config.metadata, entry);
  if (entry !== undefined || config.configurable?.[CONFIG_KEY] !== undefined) out.configurable = copyWith(config.configurable, CONFIG_KEY, entry);
  if (signal !== undefined) out.signal = signal;
  return out;
}

/** The metadata of a run the engine runs: the caller's, with the mark and the trace metadata in place of any inherited. */
function runMetadata(metadata: Record<string, unknown> | undefined, entry: ToolIdempotency | undefined): Record<string, unknown> {
  const mark: EngineRunMark = entry === undefined ? { guarded: false } : { guarded: true, key: entry.key };
  const trace = entry === undefined ? undefined : { key: entry.key, replayed: false, outcome: "executed", attempt: entry.attempt };
  const out = withTraceMetadata(metadata, trace);
  out[ENGINE_RUN_METADATA] = mark;
  return out;
}

/**
 * The mark a run was started with, or undefined for a run the engine does not run.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function engineRunOf(metadata: Record<string, unknown> | undefined): EngineRunMark | undefined {
  const mark = metadata?.[ENGINE_RUN_METADATA] as Partial<EngineRunMark> | undefined;
  if (typeof mark !== "object" || mark === null || typeof mark.guarded !== "boolean") return undefined;
  return { guarded: mark.guarded, key: typeof mark.key === "string" ? mark.key : undefined, ...(mark.replayed === true ? { replayed: true } : {}) };
}
