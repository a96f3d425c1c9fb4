/**
 * How a tool run tells observers that the engine guards it. `idempotencyMiddleware` and
 * `withIdempotency` start every guarded tool run with one metadata entry, the call's key, so
 * `IdempotencyCallbackHandler` knows at `handleToolStart` (callbacks see a run's metadata, never its
 * `configurable`) that the engine writes this call's audit entry and it must not write a second.
 * The key is a hash, never the arguments, so it is safe in traces.
 */
import type { ToolKey } from "./langgraph-bridge.js";
import { withToolKey } from "./langgraph-bridge.js";

/** The run metadata entry that marks a guarded tool run; its value is the idempotency key. */
export const GUARDED_RUN_METADATA = "agent_idempotency_key";

interface ConfigLike {
  configurable?: Record<string, unknown> | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/**
 * A copy of a tool's run config that carries its key twice: in `configurable`, where
 * `getIdempotencyKey(config)` reads it, and in `metadata`, where callback handlers see it.
 * @internal
 */
export function guardedRunConfig<C extends ConfigLike>(config: C, entry: ToolKey): C {
  const keyed = withToolKey(config, entry);
  return { ...keyed, metadata: { ...config.metadata, [GUARDED_RUN_METADATA]: entry.key } };
}

/** The key a guarded run was started with, or undefined for a run the engine does not guard. @internal */
export function guardedKeyOf(metadata: Record<string, unknown> | undefined): string | undefined {
  const key = metadata?.[GUARDED_RUN_METADATA];
  return typeof key === "string" && key !== "" ? key : undefined;
}
