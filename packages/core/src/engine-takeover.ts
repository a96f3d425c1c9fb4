/**
 * Take-over: the call claimed a key whose previous holder died in progress, without an outcome
 * and without its audit entry. The dead attempt's entry is written first (`lease_lost`, its
 * attempt), so a duplicate effect it may have caused is never silent in the log, whatever happens
 * next. Then, with a `reconcile` hook (`onUnknownOutcome` as a function), upstream is asked
 * before anything runs again:
 *
 * | reconcile                  | the call                                                        | outcome    |
 * | -------------------------- | --------------------------------------------------------------- | ---------- |
 * | (none: `"reexecute"`)      | runs the tool again, same key, attempt + 1 (engine-execute.ts)  | executed   |
 * | found `{ result }`         | records that result without running the tool                     | recovered  |
 * | found nothing              | runs the tool again                                              | executed   |
 * | throws                     | gives the claim back already expired; the next retry asks again | failed     |
 */
import type { CallState, EngineParts } from "./engine-call.js";
import { auditCall, writeAudit } from "./engine-call.js";
import { recordResult } from "./engine-execute.js";
import type { RunResult } from "./engine-types.js";
import { IdempotencyOutcomeUnknownError } from "./errors.js";
import type { InProgressRecord } from "./record.js";
import type { Acquired } from "./store.js";

/** Audits the dead attempt and reconciles; undefined when the tool must run again. */
export async function takeOver<T>(e: EngineParts, s: CallState<T>, claim: Acquired, previous: InProgressRecord): Promise<RunResult<T> | undefined> {
  const { call, policy, d } = s;
  await writeAudit(e, {
    ts: e.clock.now(),
    action_type: call.action,
    idempotency_key: d.key,
    outcome: "lease_lost",
    session_id: d.sessionId,
    fingerprint: previous.fingerprint,
    attempt: previous.attempt,
    duration_ms: Math.max(0, e.clock.now() - previous.claimedAt),
    scope: previous.scope, key_sent: true, turn: call.turn,
  });
  const reconcile = policy.onUnknownOutcome;
  if (typeof reconcile !== "function") return undefined;
  let found: { result: unknown } | undefined;
  try {
    found = await reconcile({ key: d.key, args: d.args, record: previous });
  } catch (cause) {
    // Still unknown: give the claim back as already expired, so the next retry reconciles again.
    await e.store.heartbeat(claim, { now: e.clock.now(), leaseMs: 0 }).catch(() => false);
    await auditCall(e, s, "failed");
    throw new IdempotencyOutcomeUnknownError(d.key, previous, { cause });
  }
  return found ? await recordResult(e, s, claim, found.result as T, "recovered") : undefined;
}
