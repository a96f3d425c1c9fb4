/**
 * What every part of the engine works on:
 *
 * - {@link EngineParts}: the store, clock, codec, sinks and settings, built once by
 *   `createIdempotency`;
 * - {@link CallState}: one guarded call, built once by `run` and handed to the claim loop
 *   (engine-claim.ts), execution (engine-execute.ts), replay (engine-replay.ts) and take-over
 *   (engine-takeover.ts) in turn. It is also the call's single-flight slot: a duplicate arriving in
 *   this process while it runs awaits its `settled`.
 *
 * And the two things every part does the same way: write the call's one audit entry, and refuse.
 */
import type { AuditEntry, AuditOutcome, AuditSink } from "./audit/entry.js";
import type { Clock } from "./clock.js";
import type { DerivedKey, GuardedCall } from "./derive.js";
import type { RunContext, RunResult } from "./engine-types.js";
import { IdempotencyStoreError, isIdempotencyError } from "./errors.js";
import type { createHeartbeats } from "./lease.js";
import type { LiveDetector, RepeatNote } from "./live-detection.js";
import type { ResolvedPolicy } from "./policy.js";
import type { RecordCodec } from "./protect.js";
import type { IdempotencyStore } from "./store.js";

/** The tool, as `run` receives it. */
export type ToolFn<T> = (ctx: RunContext) => Promise<T> | T;

/** The engine's shared parts, built once per engine. */
export interface EngineParts {
  readonly store: IdempotencyStore;
  readonly clock: Clock;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  warn(message: string): void;
  readonly codec: RecordCodec;
  readonly sinks: readonly AuditSink[];
  readonly onAuditError: (error: unknown, entry: AuditEntry) => void;
  /** `onStoreError: "open"`: a claim the store refused runs the tool unguarded. */
  readonly failOpen: boolean;
  /** Undefined when live detection is off. */
  readonly live: LiveDetector | undefined;
  readonly heartbeats: ReturnType<typeof createHeartbeats>;
}

/** How a call that led a single flight ended, as its waiters read it. */
export type Settled =
  | { ok: true; result: RunResult<unknown>; fingerprint: string }
  | { ok: false; error: unknown; final: boolean };

/** One guarded call: what it is, and what it has learned so far. */
export interface CallState<T = unknown> {
  readonly call: GuardedCall;
  readonly policy: ResolvedPolicy;
  /** Key, fingerprint, scope, session and normalized arguments. */
  readonly d: DerivedKey;
  readonly fn: ToolFn<T>;
  /** When the call started leading (epoch ms, the engine's clock): its audit `duration_ms` counts from here. */
  readonly started: number;
  /** The claim's attempt, or the attempt of the record it found. */
  attempt: number;
  /** The effect's upstream id, once known (from the result, or from the replayed record). */
  responseId: string | undefined;
  /** What live detection found, for the audit entry. */
  readonly repeat: RepeatNote;
  /** Settles when the call does; single-flight waiters await it. Set by `run` right after the call starts. */
  settled: Promise<Settled>;
  /** What a waiter gets for the executed value: the replay form, as from the store. */
  replayForm: { value: unknown } | undefined;
  /** Whether `cacheErrors` called the call's own failure final (asked once, in execution). */
  final: boolean | undefined;
}

/** The state of a call about to lead (claim, then run or replay). */
export function newCallState<T>(call: GuardedCall, policy: ResolvedPolicy, d: DerivedKey, fn: ToolFn<T>, started: number): CallState<T> {
  return {
    call,
    policy,
    d,
    fn,
    started,
    attempt: 1,
    responseId: undefined,
    repeat: {},
    settled: undefined as unknown as Promise<Settled>,
    replayForm: undefined,
    final: undefined,
  };
}

/** Writes `entry` to every sink; a sink that fails goes to `onAuditError` and changes nothing. */
export async function writeAudit(e: EngineParts, entry: AuditEntry): Promise<void> {
  for (const sink of e.sinks) {
    try {
      await sink.write(entry);
    } catch (error) {
      try {
        e.onAuditError(error, entry);
      } catch {
        // a reporting hook that throws must not change the call's outcome either
      }
    }
  }
}

/**
 * The call's one audit entry, with `outcome`. Without sinks nothing is built or awaited (most of
 * the calls a benchmark makes).
 */
export function auditCall(e: EngineParts, s: CallState, outcome: AuditOutcome): Promise<void> | undefined {
  if (e.sinks.length === 0) return undefined;
  const { call, d } = s;
  return writeAudit(e, {
    ts: e.clock.now(),
    action_type: call.action,
    idempotency_key: d.key,
    response_id: s.responseId,
    outcome,
    session_id: d.sessionId,
    tool_call_id: call.toolCallId,
    fingerprint: d.fingerprint,
    attempt: s.attempt,
    duration_ms: Math.max(0, e.clock.now() - s.started),
    scope: d.scope, key_sent: true, turn: call.turn, repeat_of: s.repeat.of, repeat_decision: s.repeat.decision,
  });
}

/** Audits the call with `outcome`, then throws `error`. */
export async function refuse(e: EngineParts, s: CallState, outcome: AuditOutcome, error: Error): Promise<never> {
  await auditCall(e, s, outcome);
  throw error;
}

/** Runs a store operation; a driver failure becomes {@link IdempotencyStoreError} naming the operation and key. */
export async function storeOp<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (isIdempotencyError(cause, "STORE_FAILED") || isIdempotencyError(cause, "STORE_UNAVAILABLE")) throw cause;
    throw new IdempotencyStoreError(`${op} failed for key ${key}`, { cause });
  }
}
