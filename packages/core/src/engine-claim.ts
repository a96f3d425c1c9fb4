/**
 * The claim loop: what a call does with what the store holds under its key (the rows of the
 * table in engine.ts). It claims; a claim runs the tool (after a take-over, perhaps reconciles
 * first); a completed record replays, a failed one rethrows; a live claim of another caller is
 * waited for by polling the claim again, with backoff, until it settles or `waitMs` runs out.
 */
import type { CallState, EngineParts } from "./engine-call.js";
import { auditCall, endFlight, isPromise, refused, storeError } from "./engine-call.js";
import { execute } from "./engine-execute.js";
import { recordedFailure, replayRecord } from "./engine-replay.js";
import { takeOver } from "./engine-takeover.js";
import type { RunResult } from "./engine-types.js";
import { IdempotencyInProgressError, IdempotencyOutcomeUnknownError, IdempotencyScopeError } from "./errors.js";
import { CLAIM_NOW } from "./direct-store.js";
import type { ClaimRequest, ClaimResult } from "./store.js";

/** The longest pause between two polls of a live claim. */
const MAX_POLL_MS = 250;

/**
 * Claims the call's key and acts on what the store answers, until the call has an outcome. Every
 * way out ends the call's single flight ({@link endFlight}), with the result or the error.
 */
export async function claimAndRun<T>(e: EngineParts, s: CallState<T>): Promise<RunResult<T>> {
  const { call, policy, d } = s;
  const deadline = s.started + policy.waitMs;
  let pause = 5;
  try {
    for (;;) {
      // The store judges the lease at this instant; the engine must judge it at the same one, or
      // a lease that expires during the round trip looks like a dead claim the store refused.
      const claimNow = e.clock.now();
      let claimed: ClaimResult;
      try {
        const req: ClaimRequest = {
          scope: d.scope,
          action: call.action,
          fingerprint: d.fingerprint,
          now: claimNow,
          leaseMs: policy.leaseMs,
          retentionMs: policy.ttlMs,
          takeover: policy.onUnknownOutcome !== "error",
        };
        claimed = e.direct?.[CLAIM_NOW](d.key, req) ?? (await e.store.claim(d.key, req));
      } catch (cause) {
        const error = storeError("claim", d.key, cause) as Error;
        if (!e.failOpen) throw await refused(e, s, "failed", error);
        return endFlight(e, s, await runFailOpen(e, s));
      }

      if (claimed.outcome === "claimed") {
        s.attempt = claimed.claim.attempt;
        // A take-over: the previous holder died without an outcome.
        if (claimed.previous?.status === "in_progress") {
          const recovered = await takeOver(e, s, claimed.claim, claimed.previous);
          if (recovered) return endFlight(e, s, recovered);
        }
        return endFlight(e, s, await execute(e, s, claimed.claim));
      }

      const record = claimed.record;
      s.attempt = record.attempt;
      // Scope and action are both checked on read: an explicit key reused by another session or
      // another tool must never replay that one's result here.
      if (record.scope !== d.scope || record.action !== call.action) throw await refused(e, s, "failed", new IdempotencyScopeError(d.key, record));
      if (record.status === "completed") {
        const replayed = replayRecord(e, s, record);
        return endFlight(e, s, isPromise(replayed) ? await replayed : replayed);
      }
      if (record.status === "failed") throw await recordedFailure(e, s, record);
      // in_progress
      if (record.leaseUntil <= claimNow) {
        // Only reached with onUnknownOutcome "error": the store left the dead claim alone.
        throw await refused(e, s, "failed", new IdempotencyOutcomeUnknownError(d.key, record));
      }
      if (policy.onInProgress === "error") throw await refused(e, s, "in_progress", new IdempotencyInProgressError(d.key, record));
      const now = e.clock.now();
      if (now >= deadline || call.signal?.aborted) {
        throw await refused(e, s, "in_progress", new IdempotencyInProgressError(d.key, record, `key ${d.key} is still in progress after waiting ${now - s.started} ms; retry later`));
      }
      // Poll: the record can complete, fail, be released or expire; each claim round trip sees which.
      await e.sleep(Math.max(1, Math.min(pause, deadline - now, record.leaseUntil - now + 1)), call.signal);
      pause = Math.min(pause * 2, MAX_POLL_MS);
    }
  } catch (error) {
    endFlight(e, s, undefined, error);
    throw error;
  }
}

/** The store refused the claim and `onStoreError` is `"open"`: the tool runs unguarded, and is audited so. */
async function runFailOpen<T>(e: EngineParts, s: CallState<T>): Promise<RunResult<T>> {
  const { call, d } = s;
  e.warn(`store unavailable for ${call.action} (key ${d.key}); running unguarded because onStoreError is "open"`);
  const value = await s.fn({ key: d.key, attempt: s.attempt, signal: call.signal ?? new AbortController().signal });
  await auditCall(e, s, "unguarded");
  return { value, key: d.key, replayed: false, outcome: "unguarded", attempt: s.attempt };
}
