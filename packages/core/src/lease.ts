/**
 * Leases, fencing tokens and the take-over rule.
 *
 * ```
 *  t0 claim (attempt 1, token A)     t0+leaseMs                  t1 claim by a retry
 *  |----- lease A alive ------------|~~~~~ lease A expired ~~~~~~|--- lease B (attempt 2, token B) ---
 *  |  heartbeat every leaseMs/3 pushes t0+leaseMs forward while the tool runs
 *  |  a retry inside the lease: existing in_progress -> wait (poll) or IdempotencyInProgressError
 *  |  a retry after the lease: the holder presumably died; its outcome is unknown ->
 *  |      onUnknownOutcome: reexecute (take over with the same key) | reconcile | error
 *  |  holder A comes back late: complete/fail/release/heartbeat with token A -> false (lease_lost),
 *  |      B's record is untouched
 *  completed at t2 -> replays until t2+ttlMs; after that the key is free again (attempt 1)
 * ```
 *
 * A lease is judged by the clock of the caller that claims: stores compare the record's
 * `leaseUntil` with `req.now`. Machines sharing a store therefore need clocks in sync to well
 * within `leaseMs` (NTP gives milliseconds; the default lease is 60 s).
 */
import { randomUUID } from "node:crypto";
import type { IdempotencyRecord, InProgressRecord } from "./record.js";
import { RECORD_VERSION, isRetentionExpired } from "./record.js";
import type { ClaimRequest } from "./store.js";

/** A fresh fencing token: unique per claim, so a stale holder can be told apart. */
export function newToken(): string {
  return randomUUID();
}

/** True while the claim holds: `now` is before its `leaseUntil`. */
export function isLeaseLive(record: InProgressRecord, now: number): boolean {
  return now < record.leaseUntil;
}

/** What a claim does when a record already exists under the key. */
export type ClaimDecision =
  /** Leave it and return it to the caller (live lease, completed, failed, or no take-over wanted). */
  | "existing"
  /** The lease expired without an outcome: take it over with attempt + 1. */
  | "takeover"
  /** The record is past its retention: replace it as if the key were free. */
  | "replace";

/** The take-over rule, shared by every store so they cannot disagree. */
export function decideClaim(existing: IdempotencyRecord, req: Pick<ClaimRequest, "now" | "takeover">): ClaimDecision {
  if (existing.status === "in_progress") {
    if (isLeaseLive(existing, req.now)) return "existing";
    return req.takeover === false ? "existing" : "takeover";
  }
  return isRetentionExpired(existing, req.now) ? "replace" : "existing";
}

/** The in-progress record a claim writes. */
export function newInProgressRecord(key: string, req: ClaimRequest, attempt: number): InProgressRecord {
  return {
    v: RECORD_VERSION,
    key,
    status: "in_progress",
    scope: req.scope,
    action: req.action,
    fingerprint: req.fingerprint,
    token: newToken(),
    attempt,
    claimedAt: req.now,
    leaseUntil: req.now + req.leaseMs,
  };
}
