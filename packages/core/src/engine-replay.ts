/**
 * Replay: the call's key already has an outcome, and the tool does not run.
 *
 * - A completed record returns its recorded value (`replayed`; with different arguments,
 *   `mismatch`: replayed or refused by `onPayloadMismatch`).
 * - A failed record rethrows the recorded error.
 * - A call of the same key running in this process (single flight) is awaited, and its value
 *   returned in the form a replay from the store would have.
 */
import type { CallState, EngineParts, Maybe, Settled } from "./engine-call.js";
import { auditCall, refused, writeAudit } from "./engine-call.js";
import type { DerivedKey, GuardedCall } from "./derive.js";
import type { RunOutcome, RunResult } from "./engine-types.js";
import { IdempotencyPayloadMismatchError, IdempotencyRecordedError } from "./errors.js";
import type { ResolvedPolicy } from "./policy.js";
import type { CompletedRecord, FailedRecord } from "./record.js";

/** Returns the recorded value of a completed record; directly when no sink needs awaiting. */
export function replayRecord<T>(e: EngineParts, s: CallState<T>, record: CompletedRecord): Maybe<RunResult<T>> {
  const { policy, d } = s;
  s.attempt = record.attempt;
  s.responseId = record.responseId;
  let outcome: RunOutcome = "replayed";
  if (record.fingerprint !== d.fingerprint) {
    outcome = "mismatch";
    if (policy.onPayloadMismatch === "error") return throwRefused(e, s, "mismatch", new IdempotencyPayloadMismatchError(d.key, record));
  }
  let value: T;
  try {
    value = e.codec.decodeValue(record.value, d.key) as T;
  } catch (error) {
    return throwRefused(e, s, "failed", error as Error);
  }
  const result: RunResult<T> = { value, key: d.key, replayed: true, outcome, attempt: record.attempt, recordedAt: record.completedAt, responseId: record.responseId };
  const audited = auditCall(e, s, outcome);
  return audited ? audited.then(() => result) : result;
}

/** Audits the call and rejects with `error`. */
async function throwRefused(e: EngineParts, s: CallState, outcome: RunOutcome | "failed", error: Error): Promise<never> {
  throw await refused(e, s, outcome, error);
}

/** The failure a failed record holds, as {@link IdempotencyRecordedError}, audited; for the caller to throw. */
export async function recordedFailure(e: EngineParts, s: CallState, record: FailedRecord): Promise<Error> {
  let recorded;
  try {
    recorded = e.codec.decodeError(record.error, s.d.key);
  } catch (error) {
    return refused(e, s, "failed", error as Error);
  }
  return refused(e, s, "failed", new IdempotencyRecordedError(s.d.key, recorded, record));
}

/** A call whose key is running in this process: what it needs to wait for that one. */
export interface FlightWaiter {
  call: GuardedCall;
  policy: ResolvedPolicy;
  d: DerivedKey;
}

/**
 * Waits for `leader`, the call of the same key running in this process, and replays its outcome
 * without a store round trip. Undefined when the leader failed and released its claim: the waiter
 * is then a retry of its own and must claim again.
 */
export async function replayFlight<T>(e: EngineParts, w: FlightWaiter, leader: CallState): Promise<RunResult<T> | undefined> {
  const { call, policy, d } = w;
  const started = e.clock.now();
  const settled = await new Promise<Settled>((resolve) => (leader.waiters ??= []).push(resolve));
  if (!settled.ok) {
    if (settled.final) throw settled.error;
    return undefined;
  }
  const r = settled.result;
  const mismatch = settled.fingerprint !== d.fingerprint;
  const outcome: RunOutcome = mismatch ? "mismatch" : "replayed";
  await writeAudit(e, {
    ts: e.clock.now(),
    action_type: call.action,
    idempotency_key: d.key,
    response_id: r.responseId,
    outcome,
    session_id: d.sessionId,
    tool_call_id: call.toolCallId,
    fingerprint: d.fingerprint,
    attempt: r.attempt,
    duration_ms: Math.max(0, e.clock.now() - started),
    scope: d.scope, key_sent: true, turn: call.turn,
  });
  if (mismatch && policy.onPayloadMismatch === "error") throw new IdempotencyPayloadMismatchError(d.key, undefined);
  return { ...(r as RunResult<T>), value: settled.replayValue as T, replayed: true, outcome, recordedAt: r.recordedAt ?? e.clock.now() };
}
