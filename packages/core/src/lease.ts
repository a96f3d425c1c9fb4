/**
 * Leases, fencing tokens and the take-over rule.
 *
 * ```
 *  t0 claim (attempt 1, token A)     t0+leaseMs                  t1 claim by a retry
 *  |----- lease A alive ------------|~~~~~ lease A expired ~~~~~~|--- lease B (attempt 2, token B) ---
 *  |  heartbeat every leaseMs/6 to leaseMs/3 (one shared timer) pushes t0+leaseMs forward while the tool runs
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
import type { Acquired, ClaimRequest } from "./store.js";

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

/** A claim kept alive by {@link createHeartbeats}. @internal */
export interface Heartbeat {
  /** Stops beating; returns the beat still in flight, if any (await it before completing). */
  stop(): Promise<unknown> | undefined;
}

interface Beating {
  claim: Acquired;
  leaseMs: number;
  /** performance.now() of the registration or of the last beat. */
  since: number;
  /** Beats of one claim run one after the other. */
  chain: Promise<unknown> | undefined;
  onLost: () => void;
}

/**
 * Heartbeats for every claim an engine holds, on ONE timer per lease length instead of one
 * `setInterval` per call: most tools settle long before their first beat is due, and a timer
 * armed and cleared per call showed in the profile of a guarded call.
 *
 * With `period = leaseMs / 3` (the beat interval of a timer per call), the timer ticks every half
 * period while any claim of that lease length runs, and stops at the first tick that finds none.
 * A tick beats each claim that has gone half a period or more without a beat, so beats (the first
 * one counted from the claim) come between half a period and one period apart: never later than
 * a timer per call would send them, and a tool that settles within half a period sends none. `beat` returns false when the lease was lost (the token is stale); then
 * `onLost` runs and no further beat is sent for that claim by this tick.
 * @internal
 */
export function createHeartbeats(beat: (claim: Acquired, leaseMs: number) => Promise<boolean>) {
  const groups = new Map<number, { timer: ReturnType<typeof setInterval>; calls: Set<Beating> }>();

  const tick = (period: number) => {
    const group = groups.get(period);
    if (!group) return;
    if (group.calls.size === 0) {
      clearInterval(group.timer);
      groups.delete(period);
      return;
    }
    const now = performance.now();
    for (const b of group.calls) {
      if (now - b.since < period / 2) continue;
      b.since = now;
      b.chain = (b.chain ?? Promise.resolve()).then(async () => {
        if (!(await beat(b.claim, b.leaseMs))) b.onLost();
      });
    }
  };

  return {
    /** Keeps `claim` alive until `stop()`. */
    start(claim: Acquired, leaseMs: number, onLost: () => void): Heartbeat {
      const period = Math.max(1, Math.floor(leaseMs / 3));
      let group = groups.get(period);
      if (!group) {
        const timer = setInterval(() => tick(period), Math.max(1, Math.floor(period / 2)));
        timer.unref?.(); // never keeps the process alive on its own
        group = { timer, calls: new Set() };
        groups.set(period, group);
      }
      const calls = group.calls;
      const b: Beating = { claim, leaseMs, since: performance.now(), chain: undefined, onLost };
      calls.add(b);
      return {
        stop() {
          calls.delete(b);
          return b.chain;
        },
      };
    },
    /** Clears every timer (the engine closes). */
    close(): void {
      for (const { timer } of groups.values()) clearInterval(timer);
      groups.clear();
    },
  };
}
