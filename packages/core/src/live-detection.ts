/**
 * Live detection: the audit's second sign noticed at call time instead of in next week's report.
 * When a guarded call is about to execute, the engine asks whether the same action, with the same
 * arguments (fingerprint), in the same session, already executed under a DIFFERENT key within the
 * window; if so, a hook decides: warn and run, refuse, or (in LangGraph) `interrupt()` for a
 * person to approve. Off by default; every detection is in the call's audit entry (`repeat_of`,
 * `repeat_decision`).
 *
 * The store side uses nothing but the store contract's own atomic claim, so every store, and the
 * conformance suite, supports it with no code of its own: the window is a LEASE. Per (action,
 * fingerprint, session) there is a secondary record, `repeat:<hash>`, claimed with `leaseMs` =
 * the window and no retention, whose `scope` field names the key (and scope, turn) that claimed it:
 *
 * ```
 *  t0 call under K1 executes: claim(repeat:h) → claimed: the window is K1's until t0 + window
 *  t1 call under K2 executes: claim(repeat:h) → existing, lease live, made by K1 ≠ K2 → the hook
 *  t2 call under K1 again (a retry after a release): existing, made by K1 → nothing to report
 *  t0 + window: the lease ends; the next execution takes the record over (attempt + 1) for its key
 * ```
 *
 * Across processes and machines it is exactly as atomic as the claim itself: of N executions under
 * N different keys racing, one claims the window and N − 1 see it. Cost: one more claim round trip
 * per EXECUTED call (replays never touch it). A failure of that round trip never fails the call:
 * detection is advice, so it warns and the call runs.
 */
import { canonicalJson } from "./canonical.js";
import type { RepeatDecisionLogged } from "./audit/entry.js";
import type { DerivedKey, GuardedCall } from "./derive.js";
import { IdempotencyPolicyError, IdempotencyRepeatRefusedError } from "./errors.js";
import { sha256Hex32 } from "./key.js";
import { unknownFieldProblems } from "./suggest.js";
import type { IdempotencyStore } from "./store.js";

/** What the hook decides. Anything else it returns counts as `"refuse"`. */
export type RepeatDecision = "proceed" | "refuse";

/** The same call already executed under another key within the window. */
export interface DetectedRepeat {
  /** The action (tool name). */
  action: string;
  /** The arguments after the policy's normalizers. */
  args: unknown;
  /** This call's key (the earlier execution's is `previous.key`). */
  key: string;
  /** This call's scope. */
  scope: string;
  /** The session both executions belong to. */
  sessionId: string;
  /** sha256 of the normalized arguments, the same for both executions. */
  fingerprint: string;
  /** This call's turn, when the caller gave one. */
  turn?: string | undefined;
  /** The execution that claimed the window: its key, scope, turn and start (epoch ms). */
  previous: { key: string; scope: string; turn?: string | undefined; executedAt: number };
  /** How long ago it started, ms. */
  ageMs: number;
  /**
   * `same_scope`: the key changed inside one scope (a broken key: refuse is right);
   * `turn_id_changed`: the same turn with a new message id (a retry: refuse is right);
   * `new_scope`: another turn or scope (often a deliberate repeat: ask a person).
   */
  kind: "same_scope" | "turn_id_changed" | "new_scope";
}

/** Decides what happens to a detected repeat; may throw (a LangGraph `interrupt()`). */
export type RepeatHook = (repeat: DetectedRepeat) => RepeatDecision | Promise<RepeatDecision>;

/** `liveDetection` of `createIdempotency`. */
export interface LiveDetectionOptions {
  /** Two executions of one call under different keys this close together are reported. Default 60 000. */
  windowMs?: number | undefined;
  /** `"warn"` (default: `onWarning`, then run), `"refuse"` ({@link IdempotencyRepeatRefusedError}), or a hook. */
  onRepeat?: "warn" | "refuse" | RepeatHook | undefined;
}

/** What a detection leaves for the call's audit entry. @internal */
export interface RepeatNote {
  of?: string | undefined;
  decision?: RepeatDecisionLogged | undefined;
  /** The check threw (a refusal, the hook's own error): the claim is released, never recorded. */
  thrown?: boolean | undefined;
}

/** The secondary record's key for one (action, fingerprint, session). */
export function repeatWindowKey(action: string, fingerprint: string, sessionId: string): string {
  return `repeat:${sha256Hex32(canonicalJson([action, fingerprint, sessionId]))}`;
}

/** The execution that holds a window. */
export interface WindowHolder {
  /** The key it executed under. */
  key: string;
  /** The scope it executed in. */
  scope: string;
  /** Its turn, when the caller gave one. */
  turn?: string | undefined;
  /** When it claimed the window, epoch ms. */
  executedAt: number;
}

/**
 * Claims the window of (action, fingerprint, session) for `key`, or returns the execution under
 * ANOTHER key that holds it. One `store.claim`; the holder is in the record's `scope` field.
 */
export async function claimRepeatWindow(
  store: IdempotencyStore,
  req: { action: string; fingerprint: string; sessionId: string; key: string; scope: string; turn?: string | undefined; now: number; windowMs: number },
): Promise<WindowHolder | undefined> {
  const holder = JSON.stringify(req.turn === undefined ? { key: req.key, scope: req.scope } : { key: req.key, scope: req.scope, turn: req.turn });
  const c = await store.claim(repeatWindowKey(req.action, req.fingerprint, req.sessionId), {
    scope: holder,
    action: req.action,
    fingerprint: req.fingerprint,
    now: req.now,
    leaseMs: req.windowMs,
    retentionMs: 0,
    takeover: true,
  });
  if (c.outcome === "claimed" || c.record.status !== "in_progress") return undefined;
  let prev: Partial<WindowHolder>;
  try {
    prev = JSON.parse(c.record.scope) as Partial<WindowHolder>;
  } catch {
    return undefined; // not a window record: nothing to compare with
  }
  if (typeof prev.key !== "string" || prev.key === req.key) return undefined;
  return { key: prev.key, scope: typeof prev.scope === "string" ? prev.scope : "", turn: typeof prev.turn === "string" ? prev.turn : undefined, executedAt: c.record.claimedAt };
}

/** The engine's detector: undefined when live detection is off. @internal */
export interface LiveDetector {
  readonly windowMs: number;
  /** Runs before `fn`: returns to run it, throws to refuse (the note says why, for the audit entry). */
  check(call: GuardedCall, d: DerivedKey, now: number, note: RepeatNote): Promise<void>;
}

/** The fields of {@link LiveDetectionOptions}. */
export const LIVE_DETECTION_FIELDS: readonly (keyof LiveDetectionOptions)[] = ["windowMs", "onRepeat"];

/** What is wrong with a `liveDetection` option, each with its fix (empty when all is well). @internal */
export function liveDetectionProblems(option: unknown): string[] {
  if (option === undefined || typeof option === "boolean") return [];
  if (typeof option !== "object" || option === null || Array.isArray(option)) {
    return [`liveDetection must be true, false or { windowMs, onRepeat }, got ${JSON.stringify(option)}`];
  }
  const o = option as LiveDetectionOptions;
  const problems = unknownFieldProblems("liveDetection", o, LIVE_DETECTION_FIELDS);
  const w = o.windowMs;
  if (w !== undefined && (typeof w !== "number" || !Number.isFinite(w) || w <= 0)) {
    problems.push(`liveDetection.windowMs must be a positive number of milliseconds, got ${String(w)}`);
  }
  const r = o.onRepeat;
  if (r !== undefined && r !== "warn" && r !== "refuse" && typeof r !== "function") {
    problems.push(`liveDetection.onRepeat must be "warn", "refuse" or a function (repeat) => "proceed" | "refuse", got ${JSON.stringify(r)}`);
  }
  return problems;
}

/** Builds the detector (the engine validated `liveDetection` at start-up). @internal */
export function createLiveDetector(option: LiveDetectionOptions | boolean | undefined, store: IdempotencyStore, warn: (m: string) => void): LiveDetector | undefined {
  if (option === undefined || option === false) return undefined;
  const problems = liveDetectionProblems(option);
  if (problems.length > 0) throw new IdempotencyPolicyError(problems);
  const o: LiveDetectionOptions = option === true ? {} : option;
  const windowMs = o.windowMs ?? 60_000;
  const onRepeat = o.onRepeat ?? "warn";
  return {
    windowMs,
    async check(call, d, now, note) {
      let previous: WindowHolder | undefined;
      try {
        previous = await claimRepeatWindow(store, { action: call.action, fingerprint: d.fingerprint, sessionId: d.sessionId, key: d.key, scope: d.scope, turn: call.turn, now, windowMs });
      } catch (e) {
        warn(`live detection could not check ${call.action} (key ${d.key}): ${(e as Error)?.message}; the call runs`);
        return;
      }
      if (previous === undefined) return;
      const kind: DetectedRepeat["kind"] = previous.scope === d.scope ? "same_scope" : call.turn !== undefined && previous.turn === call.turn ? "turn_id_changed" : "new_scope";
      const ageMs = Math.max(0, now - previous.executedAt);
      note.of = previous.key;
      let decision: RepeatDecision;
      if (onRepeat === "warn") {
        warn(`${call.action}: the same call (same arguments, same session) executed ${Math.round(ageMs / 1000)} s ago under key ${previous.key} (${kind.replaceAll("_", " ")}); running it again under key ${d.key}`);
        decision = "proceed";
      } else if (onRepeat === "refuse") decision = "refuse";
      else {
        try {
          decision = await onRepeat({ action: call.action, args: d.args, key: d.key, scope: d.scope, sessionId: d.sessionId, fingerprint: d.fingerprint, turn: call.turn, previous, ageMs, kind });
        } catch (error) {
          // An interrupt waits for a person (the call runs again on resume); anything else refuses.
          note.decision = call.passthrough?.(error) ? "deferred" : "refuse";
          note.thrown = true;
          throw error;
        }
      }
      note.decision = decision === "proceed" ? "proceed" : "refuse";
      if (note.decision === "refuse") {
        note.thrown = true;
        throw new IdempotencyRepeatRefusedError(call.action, d.key, previous, ageMs, kind);
      }
    },
  };
}
