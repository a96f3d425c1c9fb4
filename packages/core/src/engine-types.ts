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

/** Options of {@link createIdempotency}. */
export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** Tool name → policy. Tools not listed run unguarded unless `defaults.guard` is `"all"`. */
  tools?: ToolPolicies;
  /** Policy fields every tool inherits, and `guard: "listed" | "all"`. */
  defaults?: PolicyDefaults;
  /** Where audit entries go (one sink or several). */
  audit?: AuditSink | readonly AuditSink[];
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
  value: T;
  key: string | undefined;
  /** True when `fn` did not run for this call and a recorded value came back. */
  replayed: boolean;
  outcome: RunOutcome;
  attempt: number;
  /** When the replayed value was recorded (epoch ms). */
  recordedAt?: number | undefined;
  responseId?: string | undefined;
}

/** The engine. */
export interface Idempotency {
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
  explainKey(call: GuardedCall, other: GuardedCall): KeyComparison;
  readonly store: IdempotencyStore;
  readonly audit: readonly AuditSink[];
  readonly policies: PolicyTable;
  readonly clock: Clock;
  /**
   * A second engine on the same store, sinks, clock and settings, with more (or other) tool
   * policies: for wrapping one more tool without repeating the configuration.
   */
  extend(overrides: Pick<IdempotencyOptions, "tools" | "defaults">): Idempotency;
  /** Flushes audit sinks and closes them and the store. */
  close(): Promise<void>;
}
