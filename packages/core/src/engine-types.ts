/**
 * The engine's public types: its options, what `fn` receives, and what `run` resolves to.
 * The state machine itself is in engine.ts.
 */
import type { AuditEntry, AuditOutcome, AuditSink } from "./audit/entry.js";
import type { Clock } from "./clock.js";
import type { DerivedKey, GuardedCall } from "./derive.js";
import type { KeyComparison, KeyExplanation } from "./explain-key.js";
import type { PolicyDefaults, PolicyTable, ResolvedPolicy, ToolPolicies } from "./policy.js";
import type { ProtectOptions, RedactContext } from "./protect.js";
import type { IdempotencyStore } from "./store.js";
import type { IdempotencyInstrumentation } from "./instrumentation.js";
import type { LiveDetectionOptions } from "./live-detection.js";

/** Options of {@link createIdempotency}. */
export interface IdempotencyOptions {
  /** Where claims and outcomes live; required (`MemoryStore` for one process, a database store for several). */
  store: IdempotencyStore;
  /** Tool name → policy. Tools not listed run unguarded unless `defaults.guard` is `"all"`. */
  tools?: ToolPolicies;
  /** Policy fields every tool inherits, and `guard: "listed" | "all"`. */
  defaults?: PolicyDefaults;
  /** Where audit entries go (one sink or several). */
  audit?: AuditSink | readonly AuditSink[];
  /** Source of every instant (leases, expiry, audit `ts`); default {@link systemClock}. Tests pass a fake one. */
  clock?: Clock;
  /** `"closed"` (default): no claim, no run. `"open"`: run the tool unguarded and audit it so. */
  onStoreError?: "closed" | "open";
  /** A sink failed; the call's outcome is unchanged. Default: `console.warn`. */
  onAuditError?: (error: unknown, entry: AuditEntry) => void;
  /** Configuration lint and degraded paths. Default: `console.warn`. */
  onWarning?: (message: string) => void;
  /** Encrypt recorded results and errors at rest (AES-256-GCM). */
  protect?: ProtectOptions;
  /** Drop fields from a result before it is recorded; replays return the redacted form. */
  redact?: (value: unknown, ctx: RedactContext) => unknown;
  /** Largest arguments accepted and largest result stored, in bytes of JSON. Default 1 MiB. */
  maxRecordBytes?: number;
  /**
   * Told when each call starts and how it ended (tracing, metrics): `@agent-idempotency/opentelemetry`'s
   * `idempotencyTelemetry()`, or your own. Absent: nothing is wrapped. See `instrumentation.ts`.
   */
  instrumentation?: IdempotencyInstrumentation;
  /**
   * Notice, when a call is about to execute, that the same action with the same arguments in the
   * same session already executed under another key within a window, and let a hook warn, refuse
   * or ask a person (`live-detection.ts`). Off by default; `true` means `{ windowMs: 60 000,
   * onRepeat: "warn" }`. Costs one more store round trip per executed call.
   */
  liveDetection?: LiveDetectionOptions | boolean | undefined;
}

/** What `fn` receives. */
export interface RunContext {
  /** The idempotency key: forward it upstream (`Idempotency-Key`). Undefined for unguarded tools. */
  key: string | undefined;
  /** 1, or more after take-overs of dead claims. */
  attempt: number;
  /** Aborted when the caller aborts or this call's lease is lost. */
  signal: AbortSignal;
}

/** What a call ended as (the audit entry's outcome for successful calls). */
export type RunOutcome = Extract<AuditOutcome, "executed" | "replayed" | "recovered" | "mismatch" | "lease_lost" | "unguarded">;

/** What `run` resolves to. */
export interface RunResult<T> {
  /** What `fn` returned, or the recorded value on a replay. */
  value: T;
  /** The idempotency key; undefined for unguarded tools. */
  key: string | undefined;
  /** True when `fn` did not run for this call and a recorded value came back. */
  replayed: boolean;
  /** How the call ended, as its audit entry records it. */
  outcome: RunOutcome;
  /** 1, or more after take-overs of dead claims; for a replay, the attempt that recorded the value. */
  attempt: number;
  /** When the replayed value was recorded (epoch ms). */
  recordedAt?: number | undefined;
  /** The upstream's id for the effect (the policy's `responseId`), when known. */
  responseId?: string | undefined;
}

/** The engine. */
export interface Idempotency {
  /**
   * Runs `fn` at most once per key: claims the call's key, runs `fn` and records its outcome, or
   * returns the recorded outcome without running it. Unguarded tools run untouched (and are audited).
   */
  run<T>(call: GuardedCall, fn: (ctx: RunContext) => Promise<T> | T): Promise<RunResult<T>>;
  /** The resolved policy of a tool, or undefined when the tool is unguarded. */
  policy(action: string): ResolvedPolicy | undefined;
  /**
   * Start-up health check: sets up the store (tables, scripts, connection) and reads from it;
   * throws {@link IdempotencyStoreError} (code `STORE_UNAVAILABLE`) whose message ends with the
   * driver's reason (`database "nosuchdb" does not exist (3D000)`). Call it once at boot to fail
   * fast instead of at the first tool call.
   */
  ready(): Promise<void>;
  /** Sends a message to `onWarning` (default `console.warn`): for the framework packages' degraded paths. */
  warn(message: string): void;
  /** The key a call would get (throws {@link IdempotencyKeyError} like `run` would). */
  deriveKey(call: GuardedCall): DerivedKey | undefined;
  /**
   * Why a call has its key: the scope, each normalizer with the value before and after, the
   * selected identity, the canonical JSON hashed and the key; with a second call, the fields that
   * gave them different keys. `console.log` prints it as text. Throws what `run` would throw for
   * the call (a missing identity field, an unreadable value), and for a tool with no policy.
   */
  explainKey(call: GuardedCall): KeyExplanation;
  /** Explains both calls' keys and lists the fields that made them differ. */
  explainKey(call: GuardedCall, other: GuardedCall): KeyComparison;
  /** The store it was created with. */
  readonly store: IdempotencyStore;
  /** The audit sinks it writes to (empty when none was given). */
  readonly audit: readonly AuditSink[];
  /** The validated tool policies and defaults. */
  readonly policies: PolicyTable;
  /** The clock it reads every instant from (`systemClock` unless one was given). */
  readonly clock: Clock;
  /**
   * A second engine on the same store, sinks, clock and settings, with more (or other) tool
   * policies: for wrapping one more tool without repeating the configuration.
   */
  extend(overrides: Pick<IdempotencyOptions, "tools" | "defaults">): Idempotency;
  /** Flushes audit sinks and closes them and the store. */
  close(): Promise<void>;
}
