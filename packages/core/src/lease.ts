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
import { randomFillSync } from "node:crypto";
import type { IdempotencyRecord, InProgressRecord } from "./record.js";
import { RECORD_VERSION, isRetentionExpired } from "./record.js";
import type { Acquired, ClaimRequest } from "./store.js";

/** Random bytes for tokens, refilled every 256 tokens: `randomUUID()` allocated 0.6 KB per claim. */
const tokenPool = Buffer.alloc(16 * 256);
let tokenOffset = tokenPool.length;

/**
 * A fresh fencing token: unique per claim, so a stale holder can be told apart. 128 random bits
 * (a UUID has 122) as 22 base64url characters.
 */
export function newToken(): string {
  if (tokenOffset === tokenPool.length) {
    randomFillSync(tokenPool);
    tokenOffset = 0;
  }
  const token = tokenPool.toString("base64url", tokenOffset, tokenOffset + 16);
  tokenOffset += 16;
  return token;
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

/**
 * A claim kept alive by {@link createHeartbeats}: the engine's call state itself, linked into its
 * lease length's list, so keeping a claim alive allocates nothing per call. @internal
 */
export interface Beating {
  readonly heldClaim: Acquired | undefined;
  readonly leaseMs: number;
  /** performance.now() of the registration or of the last beat. */
  lastBeatAt: number;
  /** Beats of one claim run one after the other. */
  beatInFlight: Promise<unknown> | undefined;
  /** The list of claims of one lease length (set by the heartbeats). */
  beatPrev: Beating | undefined;
  beatNext: Beating | undefined;
  /** The lease was lost: a beat found the token stale. */
  leaseLost(): void;
}

interface BeatGroup {
  timer: ReturnType<typeof setInterval>;
  head: Beating | undefined;
}

/**
 * Heartbeats for every claim an engine holds, on ONE timer per lease length instead of one
 * `setInterval` per call: most tools settle long before their first beat is due, and a timer
 * armed and cleared per call showed in the profile of a guarded call. The claims of a lease length
 * are a list linked through the claims themselves (a `Set` allocated on every add and delete).
 *
 * With `period = leaseMs / 3` (the beat interval of a timer per call), the timer ticks every half
 * period while any claim of that lease length runs, and stops at the first tick that finds none.
 * A tick beats each claim that has gone half a period or more without a beat, so beats (the first
 * one counted from the claim) come between half a period and one period apart: never later than
 * a timer per call would send them, and a tool that settles within half a period sends none. `beat` returns false when the lease was lost (the token is stale); then
 * `leaseLost` runs and no further beat is sent for that claim by this tick.
 * @internal
 */
export function createHeartbeats(beat: (claim: Acquired, leaseMs: number) => Promise<boolean>) {
  const groups = new Map<number, BeatGroup>();

  const tick = (period: number) => {
    const group = groups.get(period);
    if (!group) return;
    if (group.head === undefined) {
      clearInterval(group.timer);
      groups.delete(period);
      return;
    }
    const now = performance.now();
    for (let b: Beating | undefined = group.head; b !== undefined; b = b.beatNext) {
      if (now - b.lastBeatAt < period / 2) continue;
      b.lastBeatAt = now;
      const claim = b;
      b.beatInFlight = (b.beatInFlight ?? Promise.resolve()).then(async () => {
        if (!(await beat(claim.heldClaim!, claim.leaseMs))) claim.leaseLost();
      });
    }
  };

  const periodOf = (leaseMs: number) => Math.max(1, Math.floor(leaseMs / 3));

  return {
    /** Keeps `b.heldClaim` alive until {@link stop}. */
    start(b: Beating): void {
      const period = periodOf(b.leaseMs);
      let group = groups.get(period);
      if (!group) {
        const timer = setInterval(() => tick(period), Math.max(1, Math.floor(period / 2)));
        timer.unref?.(); // never keeps the process alive on its own
        group = { timer, head: undefined };
        groups.set(period, group);
      }
      b.lastBeatAt = performance.now();
      b.beatInFlight = undefined;
      b.beatPrev = undefined;
      b.beatNext = group.head;
      if (group.head) group.head.beatPrev = b;
      group.head = b;
    },
    /** Stops beating `b`; returns the beat still in flight, if any (await it before completing). */
    stop(b: Beating): Promise<unknown> | undefined {
      const group = groups.get(periodOf(b.leaseMs));
      if (group && (group.head === b || b.beatPrev !== undefined)) {
        if (b.beatPrev) b.beatPrev.beatNext = b.beatNext;
        else group.head = b.beatNext;
        if (b.beatNext) b.beatNext.beatPrev = b.beatPrev;
      }
      b.beatPrev = b.beatNext = undefined;
      return b.beatInFlight;
    },
    /** Clears every timer (the engine closes). */
    close(): void {
      for (const { timer } of groups.values()) clearInterval(timer);
      groups.clear();
    },
  };
}
