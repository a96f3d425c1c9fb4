/**
 * The engine's instrumentation hook: how tracing and metrics (the OpenTelemetry adapter, a
 * team's own counters) learn about every call `run` takes, without core depending on any of them.
 *
 * The hook wraps `run` from the outside, so it sees every way a call can end: executed,
 * replayed (from the store or from a single-flight leader in this process), recovered, failed
 * (the tool threw, a recorded failure was rethrown, the store refused), refused as in progress
 * or as a mismatch, and unguarded. When the option is absent the engine's `run` is returned
 * untouched: no wrapper, no allocation, nothing on the hot path.
 *
 * A hook never changes a call's outcome: whatever `start`, `run` or `end` throws is reported to
 * `onWarning` and the call carries on.
 */
import type { AuditOutcome } from "./audit/entry.js";
import type { GuardedCall } from "./derive.js";
import { deriveKey } from "./derive.js";
import type { RunContext, RunResult } from "./engine-types.js";
import { isIdempotencyError } from "./errors.js";
import type { ResolvedPolicy } from "./policy.js";

/** What an instrumentation hook learns when a call starts. */
export interface CallStart {
  /** The action: the tool (or task) name. */
  action: string;
  /** True when a policy guards the action; false for calls the engine runs unguarded (and logs). */
  guarded: boolean;
  /** The call's `sessionId`, when it gave one. */
  sessionId: string | undefined;
  /** The framework's id of this call, when it gave one (logged only, never part of the key). */
  toolCallId: string | undefined;
}

/** What an instrumentation hook learns when a call ends, as its audit entry would say it. */
export interface CallEnd {
  /** The action, as in {@link CallStart}. */
  action: string;
  /** Whether a policy guards the action, as in {@link CallStart}. */
  guarded: boolean;
  /** The key; undefined for unguarded calls and for calls whose arguments could not be keyed. */
  key: string | undefined;
  /** `executed`, `replayed`, `recovered`, `mismatch`, `lease_lost`, `unguarded`, `failed` or `in_progress`. */
  outcome: Exclude<AuditOutcome, "duplicate">;
  /** 1, or more after take-overs of dead claims; for a replay, the attempt that recorded it. */
  attempt: number;
  /** True when the tool did not run for this call and a recorded outcome (value or failure) came back. */
  replayed: boolean;
  /** From start to end, by the engine's clock. */
  durationMs: number;
  /** The upstream's id for the effect (policy `responseId`), when known. */
  responseId: string | undefined;
  /** What the call threw; undefined when it returned. */
  error: unknown;
}

/** One call's observer, as {@link IdempotencyInstrumentation.start} returns it. */
export interface CallObserver {
  /**
   * Runs the rest of the call (the claim, the tool, the record) inside the observer's context:
   * an OpenTelemetry adapter makes its span active here, so the tool's own spans nest under it.
   * Must call `next` once, synchronously, and return what it returns.
   */
  run?<R>(next: () => R): R;
  /** The call ended (returned or threw). */
  end(call: CallEnd): void;
}

/**
 * The `instrumentation` option of `createIdempotency`: called when each call starts; returns an
 * observer for it, or nothing to leave the call alone.
 *
 * @example
 * ```ts
 * const counts = new Map<string, number>();
 * const idempotency = createIdempotency({
 *   store,
 *   instrumentation: { start: () => ({ end: (c) => counts.set(c.outcome, (counts.get(c.outcome) ?? 0) + 1) }) },
 * });
 * ```
 */
export interface IdempotencyInstrumentation {
  /** Called before anything else of the call runs; what it returns observes that one call. */
  start(call: CallStart): CallObserver | undefined | void;
}

type Run = <T>(call: GuardedCall, fn: (ctx: RunContext) => Promise<T> | T) => Promise<RunResult<T>>;

/** What {@link instrumentRun} needs of the engine. @internal */
export interface InstrumentedEngine {
  policy(action: string): ResolvedPolicy | undefined;
  now(): number;
  warn(message: string): void;
}

/**
 * `run`, reporting each call to `instrumentation`.
 * @internal the engine's; configure it through the `instrumentation` option.
 */
export function instrumentRun(instrumentation: IdempotencyInstrumentation, run: Run, engine: InstrumentedEngine): Run {
  const hookFailed = (where: string, e: unknown) => engine.warn(`instrumentation ${where} threw (${(e as Error)?.message ?? e}); the call carries on`);
  return function instrumented<T>(call: GuardedCall, fn: (ctx: RunContext) => Promise<T> | T): Promise<RunResult<T>> {
    const policy = engine.policy(call.action);
    const guarded = policy !== undefined;
    let observer: CallObserver | undefined | void;
    try {
      observer = instrumentation.start({ action: call.action, guarded, sessionId: call.sessionId, toolCallId: call.toolCallId });
    } catch (e) {
      hookFailed("start", e);
    }
    if (!observer) return run(call, fn);
    const obs = observer;
    const started = engine.now();
    // What the tool saw, when it ran: the key and attempt of a call that then failed.
    let ran: RunContext | undefined;
    let inner: Promise<RunResult<T>> | undefined;
    const next = () => (inner ??= run(call, (ctx) => ((ran = ctx), fn(ctx))));
    if (obs.run) {
      try {
        obs.run(next);
      } catch (e) {
        hookFailed("run", e);
      }
    }
    const end = (c: Omit<CallEnd, "action" | "guarded" | "durationMs">) => {
      try {
        obs.end({ action: call.action, guarded, durationMs: Math.max(0, engine.now() - started), ...c });
      } catch (e) {
        hookFailed("end", e);
      }
    };
    return next().then(
      (r) => (end({ key: r.key, outcome: r.outcome, attempt: r.attempt, replayed: r.replayed, responseId: r.responseId, error: undefined }), r),
      (error: unknown) => {
        const e = error as { key?: unknown; record?: { attempt?: number } } | null;
        const known = typeof e?.key === "string" ? e.key : undefined;
        const key = ran?.key ?? known ?? (policy ? keyOf(call, policy) : undefined);
        end({ key, outcome: failureOutcome(error), attempt: ran?.attempt ?? e?.record?.attempt ?? 1, replayed: ran === undefined && isIdempotencyError(error, "RECORDED_ERROR"), responseId: undefined, error });
        throw error;
      },
    );
  };
}

/** The key of a call that failed before its tool ran, or undefined when it cannot be keyed. */
function keyOf(call: GuardedCall, policy: ResolvedPolicy): string | undefined {
  try {
    return deriveKey(call, policy).key;
  } catch {
    return undefined;
  }
}

/** The audit outcome of a call that threw, as the engine logs it. */
function failureOutcome(error: unknown): "failed" | "in_progress" | "mismatch" {
  if (isIdempotencyError(error, "IN_PROGRESS")) return "in_progress";
  if (isIdempotencyError(error, "PAYLOAD_MISMATCH")) return "mismatch";
  return "failed";
}
