/**
 * The run metadata a guarded call carries in a LangSmith trace (or to any LangChain callback):
 * the key and the outcome, as flat keys (`idempotency_key`, `idempotency_outcome`, ...) so that
 * LangSmith's filters find them (`and(eq(metadata_key, "idempotency_outcome"), eq(metadata_value,
 * "replayed"))`), and the tag `idempotency:replayed` on the run a replay gets (`replay-run.ts`).
 *
 * A call that runs its tool carries them on the tool's own run (outcome `executed`). LangChain
 * metadata is inheritable, so runs started inside a guarded tool carry its keys too; an
 * unguarded tool run by the node says `unguarded` and drops the keys it would inherit.
 */
import { copyOf } from "./plain-copy.js";
import type { IdempotencyMetadata } from "./recorded-output.js";

/** The tag on the run of a replayed call. */
export const REPLAY_TAG = "idempotency:replayed";

/** The flat run-metadata keys a guarded call's run carries. */
export const TRACE_METADATA = {
  key: "idempotency_key",
  outcome: "idempotency_outcome",
  replayed: "idempotency_replayed",
  attempt: "idempotency_attempt",
  /** ISO-8601: when the replayed outcome was recorded. */
  recordedAt: "idempotency_recorded_at",
} as const;

const TRACE_KEYS: readonly string[] = Object.values(TRACE_METADATA);

/**
 * `metadata` with the trace metadata of a call (`undefined`: an unguarded one), in place of any a
 * guarded caller's run passed down. A fresh object the caller may add to; it is built by one copy
 * (`plain-copy.ts`) and added keys, with no `delete` unless the caller's metadata carries trace
 * keys (a run nested in a guarded one): a deleted key turns the object into a slow dictionary, and
 * LangChain copies a run's metadata at every runnable below it.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function withTraceMetadata(metadata: Record<string, unknown> | undefined, meta: IdempotencyMetadata | undefined): Record<string, unknown> {
  const out = copyOf<Record<string, unknown>>(metadata);
  if (metadata !== undefined && TRACE_KEYS.some((k) => k in metadata)) for (const k of TRACE_KEYS) delete out[k];
  if (meta === undefined) {
    out[TRACE_METADATA.outcome] = "unguarded";
    return out;
  }
  out[TRACE_METADATA.key] = meta.key;
  out[TRACE_METADATA.outcome] = meta.outcome;
  out[TRACE_METADATA.replayed] = meta.replayed;
  out[TRACE_METADATA.attempt] = meta.attempt;
  if (meta.recordedAt !== undefined) out[TRACE_METADATA.recordedAt] = new Date(meta.recordedAt).toISOString();
  return out;
}
