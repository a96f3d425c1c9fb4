/**
 * What every part of the engine works on:
 *
 * - {@link EngineParts}: the store, clock, codec, sinks and settings, built once by
 *   `createIdempotency`;
 * - {@link CallState}: one guarded call, built once by `run` and handed to the claim loop
 *   (engine-claim.ts), execution (engine-execute.ts), replay (engine-replay.ts) and take-over
 *   (engine-takeover.ts) in turn. It is also the call's single-flight slot (a duplicate arriving
 *   in this process while it runs waits for it), and the claim its heartbeats keep alive.
 *
 * And what every part does the same way: write the call's one audit entry, refuse, and end the
 * flight. A guarded call allocates this one state object where it used to allocate a dozen
 * closures and small objects; on a memory store those were a third of a call's garbage.
 */
import type { AuditEntry, AuditOutcome, AuditSink } from "./audit/entry.js";
import { toStrictJson } from "./canonical.js";
import type { Clock } from "./clock.js";
import type { DerivedKey, GuardedCall } from "./derive.js";
import type { DirectStore } from "./direct-store.js";
import type { RunContext, RunResult } from "./engine-types.js";
import { IdempotencyLeaseLostError, IdempotencyRecordedError, IdempotencyStoreError, isIdempotencyError } from "./errors.js";
import type { Beating, createHeartbeats } from "./lease.js";
import type { LiveDetector, RepeatNote } from "./live-detection.js";
import type { ResolvedPolicy } from "./policy.js";
import type { RecordCodec } from "./protect.js";
import { ToolContext } from "./run-context.js";
import type { Acquired, IdempotencyStore } from "./store.js";

/** A part's answer: now, or later when something had to be awaited (I/O, an audit sink). */
export type Maybe<T> = T | Promise<T>;

/** True for an answer that comes later. */
export function isPromise<T>(x: Maybe<T>): x is Promise<T> {
  return typeof (x as { then?: unknown } | null)?.then === "function";
}

/** The tool, as `run` receives it. */
export type ToolFn<T> = (ctx: RunContext) => Promise<T> | T;

/** The engine's shared parts, built once per engine. */
export interface EngineParts {
  readonly store: IdempotencyStore;
  /** The same store when it answers claims and completes directly (in-process): no await for those. */
  readonly direct: DirectStore | undefined;
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
  /** The calls running in this process, by key: a duplicate waits for the one running instead of racing it. */
  readonly flights: Map<string, CallState>;
}

/** How a call that led a single flight ended, as its waiters get it. */
export type Settled =
  | { ok: true; result: RunResult<unknown>; fingerprint: string; replayValue: unknown }
  | { ok: false; error: unknown; final: boolean };

/** {@link CallState.replayForm} of a call that recorded nothing (it replayed, or failed). */
const NOT_RECORDED: unknown = Symbol("not recorded");

/** One guarded call: what it is, and what it has learned so far. */
export class CallState<T = unknown> implements Beating {
  readonly call: GuardedCall;
  readonly policy: ResolvedPolicy;
  /** Key, fingerprint, scope, session and normalized arguments. */
  readonly d: DerivedKey;
  readonly fn: ToolFn<T>;
  /** When the call started leading (epoch ms, the engine's clock): its audit `duration_ms` counts from here. */
  readonly started: number;

  /** The claim's attempt, or the attempt of the record it found. */
  attempt = 1;
  /** The effect's upstream id, once known (from the result, or from the replayed record). */
  responseId: string | undefined = undefined;
  /** What live detection found, for the audit entry (made when it runs). */
  repeat: RepeatNote | undefined = undefined;

  /** Execution: the claim the call holds while its tool runs, and what the tool was given. */
  heldClaim: Acquired | undefined = undefined;
  context: ToolContext | undefined = undefined;
  lastBeatAt = 0;
  beatInFlight: Promise<unknown> | undefined = undefined;
  beatPrev: Beating | undefined = undefined;
  beatNext: Beating | undefined = undefined;

  /** Single flight: the calls of the same key waiting for this one (made when the first arrives). */
  waiters: ((settled: Settled) => void)[] | undefined = undefined;
  /** Whether `cacheErrors` called the call's own failure final (asked once, in execution). */
  final: boolean | undefined = undefined;
  /** What a waiter gets for a recorded value, the replay form as from the store; {@link NOT_RECORDED} until then. */
  replayForm: unknown = NOT_RECORDED;

  constructor(call: GuardedCall, policy: ResolvedPolicy, d: DerivedKey, fn: ToolFn<T>, started: number) {
    this.call = call;
    this.policy = policy;
    this.d = d;
    this.fn = fn;
    this.started = started;
  }

  get leaseMs(): number {
    return this.policy.leaseMs;
  }

  /** A heartbeat found the claim taken over: the tool's signal aborts. */
  leaseLost(): void {
    if (this.context) ToolContext.abort(this.context, new IdempotencyLeaseLostError(this.d.key));
  }
}

/**
 * The call has its outcome: it leaves the single-flight map, and its waiters get the outcome,
 * synchronously, before the call's own caller can touch the value. `result` undefined: it threw
 * `error`. Returns `result`.
 */
export function endFlight<T>(e: EngineParts, s: CallState<T>, result: RunResult<T> | undefined, error?: unknown): RunResult<T> {
  if (e.flights.get(s.d.key) === s) e.flights.delete(s.d.key);
  const waiters = s.waiters;
  if (waiters) {
    let settled: Settled;
    if (result) {
      const form = s.replayForm;
      // A result stored without a copy is the caller's own object (the value `run` returns): waiters get a copy of it.
      const shared = form === result.value && typeof form === "object" && form !== null;
      const replayValue = form === NOT_RECORDED ? result.value : shared ? toStrictJson(form) : form;
      settled = { ok: true, result, fingerprint: s.d.fingerprint, replayValue };
    } else {
      settled = { ok: false, error, final: error instanceof IdempotencyRecordedError || s.final === true };
    }
    for (const resolve of waiters) resolve(settled);
  }
  return result!;
}

/**
 * Writes `entry` to every sink; a sink that fails goes to `onAuditError` and changes nothing.
 * Sinks that buffer (every sink we ship) answer `write` directly: then nothing is awaited, and
 * this returns undefined; a sink's promise is awaited, in sink order, before the next sink.
 */
export function writeAudit(e: EngineParts, entry: AuditEntry): Promise<void> | undefined {
  const sinks = e.sinks;
  for (let i = 0; i < sinks.length; i++) {
    let written: void | Promise<void>;
    try {
      written = sinks[i]!.write(entry);
    } catch (error) {
      auditFailed(e, error, entry);
      continue;
    }
    if (written !== undefined && typeof (written as Promise<void>).then === "function") return writeAuditFrom(e, entry, i, written as Promise<void>);
  }
  return undefined;
}

/** {@link writeAudit} from sink `i` on, once its write settles. */
async function writeAuditFrom(e: EngineParts, entry: AuditEntry, i: number, pending: Promise<void>): Promise<void> {
  try {
    await pending;
  } catch (error) {
    auditFailed(e, error, entry);
  }
  for (const sink of e.sinks.slice(i + 1)) {
    try {
      await sink.write(entry);
    } catch (error) {
      auditFailed(e, error, entry);
    }
  }
}

function auditFailed(e: EngineParts, error: unknown, entry: AuditEntry): void {
  try {
    e.onAuditError(error, entry);
  } catch {
    // a reporting hook that throws must not change the call's outcome either
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
    scope: d.scope, key_sent: true, turn: call.turn, repeat_of: s.repeat?.of, repeat_decision: s.repeat?.decision,
  });
}

/** Audits the call with `outcome` and returns `error`, for the caller to throw: `throw await refused(...)`. */
export async function refused(e: EngineParts, s: CallState, outcome: AuditOutcome, error: Error): Promise<Error> {
  await auditCall(e, s, outcome);
  return error;
}

/** What a store operation's failure becomes: {@link IdempotencyStoreError} naming the operation and key. */
export function storeError(op: string, key: string, cause: unknown): unknown {
  if (isIdempotencyError(cause, "STORE_FAILED") || isIdempotencyError(cause, "STORE_UNAVAILABLE")) return cause;
  return new IdempotencyStoreError(`${op} failed for key ${key}`, { cause });
}
