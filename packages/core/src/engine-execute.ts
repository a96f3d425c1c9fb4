/**
 * Execution: the call holds the claim and runs the tool, keeping the lease alive with heartbeats
 * while it runs. Then one of:
 *
 * - the tool returned: its result is recorded (`complete`, retried a few times), and the call is
 *   `executed`, or `lease_lost` when a newer holder took the key over meanwhile (its record stays);
 * - the tool threw: the claim is released, so a retry runs again with the same key, or, when
 *   `cacheErrors` calls the error final, the failure is recorded (`fail`); the call is `failed`.
 */
import type { CallState, EngineParts } from "./engine-call.js";
import type { Maybe } from "./engine-call.js";
import { auditCall, isPromise, storeError } from "./engine-call.js";
import type { RunResult } from "./engine-types.js";
import { COMPLETE_NOW } from "./direct-store.js";
import type { RecordedError } from "./errors.js";
import { toRecordedError } from "./errors.js";
import type { IdempotencyRecord } from "./record.js";
import { recordable } from "./recordable.js";
import { responseIdOrWarn } from "./response-id.js";
import { ToolContext } from "./run-context.js";
import type { Acquired, Completion } from "./store.js";

/** Runs the tool under the claim and records how it ended. */
export async function execute<T>(e: EngineParts, s: CallState<T>, claim: Acquired): Promise<RunResult<T>> {
  const { call, d } = s;
  const context = new ToolContext(d.key, claim.attempt, call.signal);
  s.context = context;
  s.heldClaim = claim;
  e.heartbeats.start(s);
  let value: T;
  try {
    // Live detection decides inside the claim: a refusal or an interrupt releases it, never records it.
    if (e.live) await e.live.check(call, d, e.clock.now(), (s.repeat = {}));
    value = await s.fn(context);
  } catch (error) {
    const beat = stopBeating(e, s);
    if (beat) await beat;
    await giveBack(e, s, claim, error);
    await auditCall(e, s, "failed");
    throw error;
  }
  const beat = stopBeating(e, s);
  if (beat) await beat;
  const result = recordResult(e, s, claim, value, "executed");
  return isPromise(result) ? await result : result;
}

/** Stops the heartbeats and the caller's signal; returns the beat still in flight (await it before writing). */
function stopBeating(e: EngineParts, s: CallState): Promise<unknown> | undefined {
  ToolContext.dispose(s.context!);
  return e.heartbeats.stop(s);
}

/**
 * Records `value` as the call's result under `claim` and audits the call: `how` when the record
 * was written, `lease_lost` when a newer holder had taken the key over. For an executed tool a
 * store that cannot record is warned about and the value still returned (the effect happened;
 * hiding it would make the agent retry); for a recovered one it throws. Answers directly when an
 * in-process store records it and no sink needs awaiting.
 */
export function recordResult<T>(e: EngineParts, s: CallState<T>, claim: Acquired, value: T, how: Recorded): Maybe<RunResult<T>> {
  const { call, d } = s;
  // Under the integrations `fn` returns a framework's wrapper; the policy's responseId wants the tool's own result.
  s.responseId = responseIdOrWarn(s.policy, value, call.action, e.warn, how === "executed" ? call.toolResult : undefined);
  const { stored, replay } = e.codec.encodeResult(value, call.action, d.key, e.warn);
  // Stored without a copy (plain JSON), `replay` is the caller's own object: endFlight gives waiters a copy.
  s.replayForm = replay;
  // An in-process store records it now; if it cannot (or fails), the retrying path does.
  let ok: boolean | undefined;
  try {
    ok = e.direct?.[COMPLETE_NOW](claim, completion(e, s, stored));
  } catch {
    ok = undefined;
  }
  if (ok === undefined) return recordLater(e, s, claim, { value, stored, how });
  return recorded(e, s, claim, value, ok ? how : "lease_lost");
}

type Recorded = "executed" | "recovered";

/** {@link recordResult} through the store's `complete`, retried. */
async function recordLater<T>(e: EngineParts, s: CallState<T>, claim: Acquired, r: { value: T; stored: unknown; how: Recorded }): Promise<RunResult<T>> {
  let ok: boolean;
  if (r.how === "recovered") ok = await finish(e, s, claim, r.stored);
  else {
    try {
      ok = await finish(e, s, claim, r.stored);
    } catch (error) {
      // The claim stays in progress, so a retry after the lease sees an unknown outcome (same key
      // upstream, or reconcile).
      e.warn(`${s.call.action}: the tool ran but its outcome could not be recorded for key ${s.d.key}: ${(error as Error)?.message}`);
      ok = true;
    }
  }
  return recorded(e, s, claim, r.value, ok ? r.how : "lease_lost");
}

/** The call's audit entry and result, once its outcome is recorded. */
function recorded<T>(e: EngineParts, s: CallState<T>, claim: Acquired, value: T, outcome: Recorded | "lease_lost"): Maybe<RunResult<T>> {
  // An object literal, not a spread of shared fields: V8 builds spread objects on a slow path.
  const result: RunResult<T> = { value, key: s.d.key, replayed: false, outcome, attempt: claim.attempt, responseId: s.responseId };
  const audited = auditCall(e, s, outcome);
  return audited ? audited.then(() => result) : result;
}

/**
 * The tool threw: release the claim, or record the failure when `cacheErrors` calls it final.
 * Asked once per failure; single-flight waiters read the answer from the call's state. A
 * live-detection refusal or interrupt is never final: it releases. A store that cannot do either
 * is warned about: the claim then expires with its lease.
 */
async function giveBack(e: EngineParts, s: CallState, claim: Acquired, error: unknown): Promise<void> {
  const { call, policy, d } = s;
  const final = !s.repeat?.thrown && isFinal(s, error);
  s.final = final;
  const ctx = { action: call.action, key: d.key };
  await (final
    ? e.store.fail(claim, { error: e.codec.encodeError(recordable(toRecordedError(error), call.action, e.warn) as RecordedError, ctx), now: e.clock.now(), ttlMs: policy.ttlMs })
    : e.store.release(claim)
  ).catch((err) => e.warn(`could not ${final ? "record the failure" : "release the claim"} of key ${d.key}: ${(err as Error)?.message}; it expires with its lease`));
}

/** Whether the policy's `cacheErrors` records `error` (passthrough errors never; a throwing predicate: no). */
function isFinal(s: CallState, error: unknown): boolean {
  if (s.call.passthrough?.(error)) return false;
  const c = s.policy.cacheErrors;
  if (typeof c !== "function") return c;
  try {
    return c(error) === true;
  } catch {
    return false;
  }
}

/** Completes with a few retries: a store hiccup right after the effect should not lose it. */
async function finish(e: EngineParts, s: CallState, claim: Acquired, stored: unknown): Promise<boolean> {
  for (let i = 0; ; i++) {
    try {
      const ok = await e.store.complete(claim, completion(e, s, stored));
      // After a failed attempt, false may mean the earlier write committed and only its reply
      // was lost: the record then already holds our outcome under our token.
      if (!ok && i > 0) return isOurs(await e.store.get(claim.key).catch(() => undefined), claim);
      return ok;
    } catch (cause) {
      if (i >= 2) throw storeError("complete", claim.key, cause);
      await e.sleep(20 * 4 ** i);
    }
  }
}

/** What `complete` records: the stored form of the result, its response id, now, and how long it replays. */
function completion(e: EngineParts, s: CallState, stored: unknown): Completion {
  return { value: stored, responseId: s.responseId, now: e.clock.now(), ttlMs: s.policy.ttlMs };
}

function isOurs(record: IdempotencyRecord | undefined, claim: Acquired): boolean {
  return record !== undefined && record.status !== "in_progress" && record.token === claim.token;
}
