/**
 * The engine: `createIdempotency(options).run(call, fn)`.
 *
 * What one guarded call does, by what the store holds under its key when the call claims it:
 *
 * | store holds                          | the call                                                   | outcome     |
 * | ------------------------------------ | ---------------------------------------------------------- | ----------- |
 * | (same key running in this process)   | awaits that run, no store round trip (single flight)       | replayed    |
 * | nothing, or a record past retention  | claims it, runs `fn` (heartbeat), `complete`               | executed    |
 * |   ... `fn` throws                    | `release` (retry runs again, same key) or `fail` if final  | failed      |
 * |   ... `complete` finds a newer token | keeps its value, leaves the newer record alone             | lease_lost  |
 * | completed, same scope                | returns the recorded value; different args: policy         | replayed / mismatch |
 * | failed, same scope                   | rethrows the recorded error                                | failed      |
 * | in_progress, lease alive             | waits (polls with backoff up to `waitMs`) or throws        | (then as above) / in_progress |
 * | in_progress, lease expired           | takes over (attempt + 1): re-runs `fn`, or `reconcile`     | executed / recovered |
 * |   ... `onUnknownOutcome: "error"`    | throws {@link IdempotencyOutcomeUnknownError}              | failed      |
 * | any record of another scope          | throws {@link IdempotencyScopeError}; never replayed       | failed      |
 * | (store throws)                       | fail-closed: throws, `fn` never runs (or fail-open: runs)  | - / unguarded |
 *
 * Every guarded call writes exactly one audit entry with its outcome. `cacheErrors` is asked once
 * per failure, by the call whose `fn` threw; single-flight waiters read its answer from the flight.
 */
import type { AuditEntry, AuditOutcome, AuditSink } from "./audit/entry.js";
import { realSleep, systemClock } from "./clock.js";
import type { DerivedKey, GuardedCall } from "./derive.js";
import { deriveKey } from "./derive.js";
import { compareCalls, explainCall, requirePolicy } from "./explain-key.js";
import {
  IdempotencyInProgressError,
  IdempotencyLeaseLostError,
  IdempotencyOutcomeUnknownError,
  IdempotencyPayloadMismatchError,
  IdempotencyRecordedError,
  IdempotencyScopeError,
  IdempotencyStoreError,
  isIdempotencyError,
  toRecordedError,
} from "./errors.js";
import type { RecordedError } from "./errors.js";
import type { ResolvedPolicy } from "./policy.js";
import { createPolicyTable } from "./policy.js";
import type { CompletedRecord, IdempotencyRecord } from "./record.js";
import type { Acquired } from "./store.js";
import { createRecordCodec } from "./protect.js";
import { recordable } from "./recordable.js";
import { createHeartbeats } from "./lease.js";
import { createRunContext } from "./run-context.js";
import { storeReady } from "./ready.js";
import { validateOptions } from "./validate.js";
import type { Idempotency, IdempotencyOptions, RunContext, RunOutcome, RunResult } from "./engine-types.js";

type Settled = { ok: true; result: RunResult<unknown>; fingerprint: string } | { ok: false; error: unknown; final: boolean };

/** A call running in this process under a key, for single flight. */
interface Flight {
  scope: string;
  action: string;
  settled: Promise<Settled>;
  /** What a waiter gets for the leader's executed value: the replay form, as from the store. */
  replayForm?: { value: unknown } | undefined;
  /** Whether `cacheErrors` called the leader's own failure final (asked once, in `execute`). */
  final?: boolean | undefined;
}

const MAX_POLL_MS = 250;

/**
 * Creates the engine.
 *
 * @example
 * ```ts
 * import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
 * const idempotency = createIdempotency({
 *   store: new MemoryStore(),
 *   tools: { book_calendar: { identity: ["user_id", "slot"] } },
 * });
 * const out = await idempotency.run(
 *   { action: "book_calendar", args: { user_id: "u_1", slot: "2026-12-01T10:00:00Z" }, sessionId: "s-1" },
 *   async ({ key }) => ({ booking_id: `b_${key!.slice(0, 6)}` }),
 * );
 * ```
 */
export function createIdempotency(options: IdempotencyOptions): Idempotency {
  // Every mistake at once, before anything runs: the first tool call is too late to learn the
  // store is missing or that a policy field is misspelt.
  validateOptions(options);
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const sleep = (ms: number, signal?: AbortSignal) => (clock.sleep ?? realSleep)(ms, signal);
  const warn = options.onWarning ?? ((m: string) => console.warn(`[agent-idempotency] ${m}`));
  const onAuditError = options.onAuditError ?? ((e: unknown) => console.warn("[agent-idempotency] audit sink failed:", e));
  const sinks: readonly AuditSink[] = options.audit === undefined ? [] : Array.isArray(options.audit) ? options.audit : [options.audit as AuditSink];
  const policies = createPolicyTable(options.tools, options.defaults, warn);
  const failOpen = options.onStoreError === "open";
  const codec = createRecordCodec(options);
  const inflight = new Map<string, Flight>();
  // A failing heartbeat counts as alive: a store hiccup must not abort a tool that still holds its lease.
  const heartbeats = createHeartbeats((claim, leaseMs) => store.heartbeat(claim, { now: clock.now(), leaseMs }).catch(() => true));

  async function audit(entry: AuditEntry): Promise<void> {
    for (const sink of sinks) {
      try {
        await sink.write(entry);
      } catch (error) {
        try {
          onAuditError(error, entry);
        } catch {
          // a reporting hook that throws must not change the call's outcome either
        }
      }
    }
  }

  async function storeOp<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      if (isIdempotencyError(cause, "STORE_FAILED") || isIdempotencyError(cause, "STORE_UNAVAILABLE")) throw cause;
      throw new IdempotencyStoreError(`${op} failed for key ${key}`, { cause });
    }
  }

  function isFinal(policy: ResolvedPolicy, call: GuardedCall, error: unknown): boolean {
    if (call.passthrough?.(error)) return false;
    const c = policy.cacheErrors;
    if (typeof c !== "function") return c;
    try {
      return c(error) === true;
    } catch {
      return false;
    }
  }

  function responseIdOf(policy: ResolvedPolicy, value: unknown, action: string): string | undefined {
    if (!policy.responseId) return undefined;
    try {
      const id = policy.responseId(value);
      return id === undefined || id === null ? undefined : String(id);
    } catch (e) {
      warn(`responseId of ${action} threw (${(e as Error)?.message}); the audit entry has no response_id`);
      return undefined;
    }
  }

  async function runGuarded<T>(
    call: GuardedCall,
    policy: ResolvedPolicy,
    d: DerivedKey,
    fn: (ctx: RunContext) => Promise<T> | T,
    flight: Flight,
  ): Promise<RunResult<T>> {
    const started = clock.now();
    let attempt = 1;
    let responseId: string | undefined;
    // Without sinks there is nothing to build or await (most of the calls a benchmark makes).
    const write = (outcome: AuditOutcome): Promise<void> | undefined =>
      sinks.length === 0 ? undefined : audit({
        ts: clock.now(),
        action_type: call.action,
        idempotency_key: d.key,
        response_id: responseId,
        outcome,
        session_id: d.sessionId,
        tool_call_id: call.toolCallId,
        fingerprint: d.fingerprint,
        attempt,
        duration_ms: Math.max(0, clock.now() - started),
      });
    const replay = async (record: CompletedRecord): Promise<RunResult<T>> => {
      attempt = record.attempt;
      responseId = record.responseId;
      let outcome: RunOutcome = "replayed";
      if (record.fingerprint !== d.fingerprint) {
        outcome = "mismatch";
        if (policy.onPayloadMismatch === "error") {
          await write("mismatch");
          throw new IdempotencyPayloadMismatchError(d.key, record);
        }
      }
      let value: T;
      try {
        value = codec.decodeValue(record.value, d.key) as T;
      } catch (error) {
        await write("failed");
        throw error;
      }
      await write(outcome);
      return { value, key: d.key, replayed: true, outcome, attempt, recordedAt: record.completedAt, responseId };
    };
    const refuse = async (outcome: AuditOutcome, error: Error): Promise<never> => {
      await write(outcome);
      throw error;
    };

    const deadline = started + policy.waitMs;
    let pause = 5;
    for (;;) {
      let claimed;
      // The store judges the lease at this instant; the engine must judge it at the same one, or
      // a lease that expires during the round trip looks like a dead claim the store refused.
      const claimNow = clock.now();
      try {
        claimed = await storeOp("claim", d.key, () =>
          store.claim(d.key, {
            scope: d.scope,
            action: call.action,
            fingerprint: d.fingerprint,
            now: claimNow,
            leaseMs: policy.leaseMs,
            retentionMs: policy.ttlMs,
            takeover: policy.onUnknownOutcome !== "error",
          }),
        );
      } catch (error) {
        if (!failOpen) return refuse("failed", error as Error);
        warn(`store unavailable for ${call.action} (key ${d.key}); running unguarded because onStoreError is "open"`);
        const value = await fn({ key: d.key, attempt, signal: call.signal ?? new AbortController().signal });
        await write("unguarded");
        return { value, key: d.key, replayed: false, outcome: "unguarded", attempt };
      }

      if (claimed.outcome === "claimed") {
        attempt = claimed.claim.attempt;
        return execute(call, policy, d, fn, claimed.claim, claimed.previous, write, (id) => (responseId = id), flight);
      }

      const record: IdempotencyRecord = claimed.record;
      attempt = record.attempt;
      // Scope and action are both checked on read: an explicit key reused by another session or
      // another tool must never replay that one's result here.
      if (record.scope !== d.scope || record.action !== call.action) return refuse("failed", new IdempotencyScopeError(d.key, record));
      if (record.status === "completed") return replay(record);
      if (record.status === "failed") {
        let recorded;
        try {
          recorded = codec.decodeError(record.error, d.key);
        } catch (error) {
          return refuse("failed", error as Error);
        }
        return refuse("failed", new IdempotencyRecordedError(d.key, recorded, record));
      }
      // in_progress
      if (record.leaseUntil <= claimNow) {
        // Only reached with onUnknownOutcome "error": the store left the dead claim alone.
        return refuse("failed", new IdempotencyOutcomeUnknownError(d.key, record));
      }
      if (policy.onInProgress === "error") return refuse("in_progress", new IdempotencyInProgressError(d.key, record));
      const now = clock.now();
      if (now >= deadline || call.signal?.aborted) {
        return refuse("in_progress", new IdempotencyInProgressError(d.key, record, `key ${d.key} is still in progress after waiting ${now - started} ms; retry later`));
      }
      // Poll: the record can complete, fail, be released or expire; each claim round trip sees which.
      await sleep(Math.max(1, Math.min(pause, deadline - now, record.leaseUntil - now + 1)), call.signal);
      pause = Math.min(pause * 2, MAX_POLL_MS);
    }
  }

  async function execute<T>(
    call: GuardedCall,
    policy: ResolvedPolicy,
    d: DerivedKey,
    fn: (ctx: RunContext) => Promise<T> | T,
    claim: Acquired,
    previous: IdempotencyRecord | undefined,
    write: (outcome: AuditOutcome) => Promise<void> | undefined,
    setResponseId: (id: string | undefined) => void,
    flight: Flight,
  ): Promise<RunResult<T>> {
    const attempt = claim.attempt;
    const ctx = { action: call.action, key: d.key };
    const record = (value: T, responseId: string | undefined) => {
      const { stored, replay } = codec.encodeValue(recordable(value, call.action, warn), ctx);
      return { stored, replay, complete: () => store.complete(claim, { value: stored, responseId, now: clock.now(), ttlMs: policy.ttlMs }) };
    };
    // An object literal, not a spread of shared fields: V8 builds spread objects on a slow path.
    const done = (value: T, outcome: RunOutcome, responseId: string | undefined, replay: unknown): RunResult<T> => {
      flight.replayForm = { value: replay };
      return { value, key: d.key, replayed: false, outcome, attempt, responseId };
    };

    // A take-over: the previous holder died without an outcome, and without its audit entry. Write
    // that entry now (lease_lost, its attempt), so a duplicate effect it may have caused is never
    // silent in the log, whatever happens next. Then ask upstream first if we can.
    if (previous?.status === "in_progress") {
      await audit({
        ts: clock.now(),
        action_type: call.action,
        idempotency_key: d.key,
        outcome: "lease_lost",
        session_id: d.sessionId,
        fingerprint: previous.fingerprint,
        attempt: previous.attempt,
        duration_ms: Math.max(0, clock.now() - previous.claimedAt),
      });
    }
    if (previous?.status === "in_progress" && typeof policy.onUnknownOutcome === "function") {
      let found: { result: unknown } | undefined;
      try {
        found = await policy.onUnknownOutcome({ key: d.key, args: d.args, record: previous });
      } catch (cause) {
        // Still unknown: give the claim back as already expired, so the next retry reconciles again.
        await store.heartbeat(claim, { now: clock.now(), leaseMs: 0 }).catch(() => false);
        await write("failed");
        throw new IdempotencyOutcomeUnknownError(d.key, previous, { cause });
      }
      if (found) {
        const value = found.result as T;
        const responseId = responseIdOf(policy, value, call.action);
        setResponseId(responseId);
        const r = record(value, responseId);
        const ok = await finish(claim, r.complete);
        await write(ok ? "recovered" : "lease_lost");
        return done(value, ok ? "recovered" : "lease_lost", responseId, r.replay);
      }
    }

    const run = createRunContext(d.key, attempt, call.signal);
    const heartbeat = heartbeats.start(claim, policy.leaseMs, () => run.abort(new IdempotencyLeaseLostError(d.key)));
    const stopBeating = async () => {
      const inFlight = heartbeat.stop();
      run.dispose();
      if (inFlight) await inFlight;
    };

    let value: T;
    try {
      value = await fn(run.context);
    } catch (error) {
      await stopBeating();
      // Asked once per failure; single flight reads the answer from the flight, not asking again.
      const final = isFinal(policy, call, error);
      flight.final = final;
      await (final
        ? store.fail(claim, { error: codec.encodeError(recordable(toRecordedError(error), call.action, warn) as RecordedError, ctx), now: clock.now(), ttlMs: policy.ttlMs })
        : store.release(claim)
      ).catch((e) => warn(`could not ${final ? "record the failure" : "release the claim"} of key ${d.key}: ${(e as Error)?.message}; it expires with its lease`));
      await write("failed");
      throw error;
    }
    await stopBeating();
    const responseId = responseIdOf(policy, value, call.action);
    setResponseId(responseId);
    let ok: boolean;
    const r = record(value, responseId);
    try {
      ok = await finish(claim, r.complete);
    } catch (e) {
      // The effect happened; hiding the value would make the agent retry. The claim stays in
      // progress, so a retry after the lease sees an unknown outcome (same key upstream, or reconcile).
      warn(`${call.action}: the tool ran but its outcome could not be recorded for key ${d.key}: ${(e as Error)?.message}`);
      ok = true;
    }
    await write(ok ? "executed" : "lease_lost");
    return done(value, ok ? "executed" : "lease_lost", responseId, r.replay);
  }

  /** Completes with a few retries: a store hiccup right after the effect should not lose it. */
  async function finish(claim: Acquired, op: () => Promise<boolean>): Promise<boolean> {
    for (let i = 0; ; i++) {
      try {
        const ok = await storeOp("complete", claim.key, op);
        // After a failed attempt, false may mean the earlier write committed and only its reply
        // was lost: the record then already holds our outcome under our token.
        if (!ok && i > 0) return isOurs(await store.get(claim.key).catch(() => undefined), claim);
        return ok;
      } catch (e) {
        if (i >= 2) throw e;
        await sleep(20 * 4 ** i);
      }
    }
  }

  function isOurs(record: IdempotencyRecord | undefined, claim: Acquired): boolean {
    return record !== undefined && record.status !== "in_progress" && record.token === claim.token;
  }

  async function run<T>(call: GuardedCall, fn: (ctx: RunContext) => Promise<T> | T): Promise<RunResult<T>> {
    const policy = policies.get(call.action);
    const started = clock.now();
    // An entry for calls that end before a key exists (unguarded tools, arguments that cannot be
    // keyed): every call the engine sees is in the log once.
    const keyless = (outcome: AuditOutcome) =>
      audit({
        ts: clock.now(),
        action_type: call.action,
        outcome,
        session_id: call.sessionId ?? call.scope ?? "",
        tool_call_id: call.toolCallId,
        fingerprint: "",
        attempt: 1,
        duration_ms: Math.max(0, clock.now() - started),
      });
    if (!policy) {
      let value: T;
      try {
        value = await fn({ key: undefined, attempt: 1, signal: call.signal ?? new AbortController().signal });
      } catch (error) {
        await keyless("failed");
        throw error;
      }
      await keyless("unguarded");
      return { value, key: undefined, replayed: false, outcome: "unguarded", attempt: 1 };
    }
    let d: DerivedKey;
    try {
      d = deriveKey(call, policy);
    } catch (error) {
      await keyless("failed");
      throw error;
    }
    try {
      codec.checkArgs(d.argsBytes, d.key);
    } catch (error) {
      await audit({ ts: clock.now(), action_type: call.action, idempotency_key: d.key, outcome: "failed", session_id: d.sessionId, tool_call_id: call.toolCallId, fingerprint: d.fingerprint, attempt: 1, duration_ms: 0 });
      throw error;
    }

    for (;;) {
      // Single flight: a call already running under this key in this process is awaited, not
      // raced through the store. Registered synchronously, before the first await.
      const running = inflight.get(d.key);
      if (running && running.scope === d.scope && running.action === call.action) {
        const started = clock.now();
        const settled = await running.settled;
        if (!settled.ok) {
          if (settled.final) throw settled.error;
          continue; // the leader failed and released: this call is a retry of its own
        }
        const r = settled.result;
        const mismatch = settled.fingerprint !== d.fingerprint;
        const entry = {
          ts: clock.now(),
          action_type: call.action,
          idempotency_key: d.key,
          response_id: r.responseId,
          outcome: (mismatch ? "mismatch" : "replayed") as RunOutcome,
          session_id: d.sessionId,
          tool_call_id: call.toolCallId,
          fingerprint: d.fingerprint,
          attempt: r.attempt,
          duration_ms: Math.max(0, clock.now() - started),
        };
        await audit(entry);
        if (mismatch && policy.onPayloadMismatch === "error") throw new IdempotencyPayloadMismatchError(d.key, undefined);
        const value = (running.replayForm ? running.replayForm.value : r.value) as T;
        return { ...(r as RunResult<T>), value, replayed: true, outcome: entry.outcome, recordedAt: r.recordedAt ?? clock.now() };
      }
      const flight: Flight = { scope: d.scope, action: call.action, settled: undefined as unknown as Promise<Settled> };
      const promise = runGuarded(call, policy, d, fn, flight);
      // The flight leaves the map in the same reaction that settles it, before any waiter resumes.
      const leave = () => {
        if (inflight.get(d.key) === flight) inflight.delete(d.key);
      };
      flight.settled = promise.then(
        (result): Settled => (leave(), { ok: true, result, fingerprint: d.fingerprint }),
        (error): Settled => (leave(), { ok: false, error, final: error instanceof IdempotencyRecordedError || flight.final === true }),
      );
      inflight.set(d.key, flight);
      return promise;
    }
  }

  return {
    run,
    ready: () => storeReady(store),
    warn,
    policy: (action) => policies.get(action),
    deriveKey(call) {
      const p = policies.get(call.action);
      return p ? deriveKey(call, p) : undefined;
    },
    explainKey: ((call: GuardedCall, other?: GuardedCall) =>
      other === undefined ? explainCall(call, requirePolicy(call.action, policies.get)) : compareCalls(call, other, policies.get)) as Idempotency["explainKey"],
    store,
    audit: sinks,
    policies,
    clock,
    extend: (overrides) =>
      createIdempotency({
        ...options,
        clock,
        tools: { ...options.tools, ...overrides.tools },
        defaults: overrides.defaults ?? options.defaults,
      }),
    async close() {
      heartbeats.close();
      for (const sink of sinks) {
        await sink.flush?.().catch(() => undefined);
        await sink.close?.().catch(() => undefined);
      }
      await store.close();
    },
  };
}
