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
 * | (claimed; liveDetection finds the call run under another key) | its hook: run, or release and throw | (as above) / failed |
 *
 * Every guarded call writes exactly one audit entry with its outcome. `cacheErrors` is asked once
 * per failure, by the call whose `fn` threw; single-flight waiters read its answer from the flight.
 *
 * Where each row lives: `run` below derives the key and joins or starts a single flight; the
 * claim loop is engine-claim.ts, running the tool and recording its outcome engine-execute.ts,
 * replays (from the store or the flight) engine-replay.ts, take-overs engine-takeover.ts. One
 * call's state is one {@link CallState} (engine-call.ts), handed from part to part.
 */
import type { AuditOutcome, AuditSink } from "./audit/entry.js";
import { realSleep, systemClock } from "./clock.js";
import type { DerivedKey, GuardedCall } from "./derive.js";
import { deriveKey } from "./derive.js";
import { directStore } from "./direct-store.js";
import type { EngineParts, ToolFn } from "./engine-call.js";
import { CallState, writeAudit } from "./engine-call.js";
import { claimAndRun } from "./engine-claim.js";
import { replayFlight } from "./engine-replay.js";
import type { Idempotency, IdempotencyOptions, RunResult } from "./engine-types.js";
import { compareCalls, explainCall, requirePolicy } from "./explain-key.js";
import { instrumentRun } from "./instrumentation.js";
import { createHeartbeats } from "./lease.js";
import { createLiveDetector } from "./live-detection.js";
import type { ResolvedPolicy } from "./policy.js";
import { createPolicyTable } from "./policy.js";
import { createRecordCodec } from "./protect.js";
import { storeReady } from "./ready.js";
import { closestName } from "./suggest.js";
import { validateOptions } from "./validate.js";

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
  const warn = options.onWarning ?? ((m: string) => console.warn(`[agent-idempotency] ${m}`));
  const sinks: readonly AuditSink[] = options.audit === undefined ? [] : Array.isArray(options.audit) ? options.audit : [options.audit as AuditSink];
  const policies = createPolicyTable(options.tools, options.defaults, warn);
  const e: EngineParts = {
    store,
    direct: directStore(store),
    clock,
    sleep: (ms, signal) => (clock.sleep ?? realSleep)(ms, signal),
    warn,
    codec: createRecordCodec(options),
    sinks,
    onAuditError: options.onAuditError ?? ((error) => console.warn("[agent-idempotency] audit sink failed:", error)),
    failOpen: options.onStoreError === "open",
    live: createLiveDetector(options.liveDetection, store, warn),
    // A failing heartbeat counts as alive: a store hiccup must not abort a tool that still holds its lease.
    heartbeats: createHeartbeats((claim, leaseMs) => store.heartbeat(claim, { now: clock.now(), leaseMs }).catch(() => true)),
    // V8 shrinks a Map's table when it falls under a quarter full and grows it at the next
    // insert: with one call in flight at a time, that was two table allocations per call. An entry
    // that never leaves (no key is empty) keeps the table from emptying.
    flights: new Map([["", undefined as unknown as CallState]]),
  };

  function run<T>(call: GuardedCall, fn: ToolFn<T>): Promise<RunResult<T>> {
    try {
      const policy = policies.get(call.action);
      const started = clock.now();
      if (!policy) {
        if (!unguardedSeen.has(call.action)) warnNearMiss(call.action);
        return runUnguarded(call, fn, started);
      }
      let d: DerivedKey;
      try {
        d = deriveKey(call, policy);
      } catch (error) {
        return failKeyless(call, error, started);
      }
      try {
        e.codec.checkArgs(d.argsBytes, d.key);
      } catch (error) {
        return failTooLarge(call, d, error);
      }
      // Single flight: a call already running under this key in this process is waited for, not
      // raced through the store.
      const leader = e.flights.get(d.key);
      if (leader && leader.d.scope === d.scope && leader.call.action === call.action) return follow(call, policy, d, fn, leader);
      return lead(call, policy, d, fn);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Starts the call's own claim; registered for single flight synchronously, before the first await. */
  function lead<T>(call: GuardedCall, policy: ResolvedPolicy, d: DerivedKey, fn: ToolFn<T>): Promise<RunResult<T>> {
    const s = new CallState(call, policy, d, fn, clock.now());
    e.flights.set(d.key, s as CallState);
    return claimAndRun(e, s);
  }

  /** Waits for the call of the same key running in this process and replays its outcome. */
  async function follow<T>(call: GuardedCall, policy: ResolvedPolicy, d: DerivedKey, fn: ToolFn<T>, leader: CallState): Promise<RunResult<T>> {
    for (;;) {
      const replayed = await replayFlight<T>(e, { call, policy, d }, leader);
      if (replayed) return replayed;
      // The leader failed and released its claim: this call is a retry of its own.
      const next = e.flights.get(d.key);
      if (!next || next.d.scope !== d.scope || next.call.action !== call.action) return lead(call, policy, d, fn);
      leader = next;
    }
  }

  // Action names already checked for a near-miss policy name; bounded, so a caller that makes up
  // action names cannot grow it without end.
  const unguardedSeen = new Set<string>();

  /**
   * Used alone (no node or middleware to check the tool list at start-up), a policy named
   * `send_invoce` leaves `send_invoice` unguarded. The first call of an unguarded action whose name
   * is one typo away from a policy's says so, once.
   */
  function warnNearMiss(action: string): void {
    if (unguardedSeen.size >= 1000) return;
    unguardedSeen.add(action);
    if (policies.tools[action] === false) return; // deliberately unguarded
    const meant = closestName(action, Object.keys(policies.tools));
    if (meant === undefined || policies.get(meant) === undefined) return;
    warn(
      `"${action}" has no policy and runs unguarded, but a policy is named "${meant}": if that is a typo, rename the policy to "${action}"; if they are two tools, give "${action}" a policy of its own, or "${action}: false" to leave it unguarded without this warning`,
    );
  }

  /** A tool no policy guards: it runs untouched, and is audited as `unguarded` (or `failed`). */
  async function runUnguarded<T>(call: GuardedCall, fn: ToolFn<T>, started: number): Promise<RunResult<T>> {
    let value: T;
    try {
      value = await fn({ key: undefined, attempt: 1, signal: call.signal ?? new AbortController().signal });
    } catch (error) {
      await audit(call, "failed", started);
      throw error;
    }
    await audit(call, "unguarded", started);
    return { value, key: undefined, replayed: false, outcome: "unguarded", attempt: 1 };
  }

  /** Arguments that cannot be keyed: audited without a key, then thrown. */
  async function failKeyless(call: GuardedCall, error: unknown, started: number): Promise<never> {
    await audit(call, "failed", started);
    throw error;
  }

  /** Arguments larger than `maxRecordBytes`: refused before anything is claimed. */
  async function failTooLarge(call: GuardedCall, d: DerivedKey, error: unknown): Promise<never> {
    await writeAudit(e, { ts: clock.now(), action_type: call.action, idempotency_key: d.key, outcome: "failed", session_id: d.sessionId, tool_call_id: call.toolCallId, fingerprint: d.fingerprint, attempt: 1, duration_ms: 0, scope: d.scope, key_sent: false, turn: call.turn });
    throw error;
  }

  /**
   * The entry of a call that ends before a key exists (an unguarded tool, arguments that cannot be
   * keyed): every call the engine sees is in the log once.
   */
  function audit(call: GuardedCall, outcome: AuditOutcome, started: number): Promise<void> | undefined {
    return writeAudit(e, {
      ts: clock.now(),
      action_type: call.action,
      outcome,
      session_id: call.sessionId ?? call.scope ?? "",
      tool_call_id: call.toolCallId,
      fingerprint: "",
      attempt: 1,
      duration_ms: Math.max(0, clock.now() - started),
      scope: call.scope, key_sent: false, turn: call.turn,
    });
  }

  const ins = options.instrumentation;
  return {
    // The hook wraps run from the outside (every outcome, waiters and refusals); absent, run is untouched.
    run: ins ? instrumentRun(ins, run, { policy: (a) => policies.get(a), now: () => clock.now(), warn }) : run,
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
      e.heartbeats.close();
      for (const sink of sinks) {
        await sink.flush?.().catch(() => undefined);
        await sink.close?.().catch(() => undefined);
      }
      await store.close();
    },
  };
}
