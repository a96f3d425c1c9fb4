/**
 * Every error this project throws. Each class sets `name` and a stable `code`; guard with
 * {@link isIdempotencyError} (it checks the code, so it survives duplicate package copies and
 * bundlers that rename classes). Messages name the key and the operation, never tool arguments
 * or results, which may hold personal data.
 */
import type { IdempotencyRecord } from "./record.js";

/** The stable identity of every error this project throws. */
export type ErrorCode =
  | "KEY_INVALID"
  | "POLICY_INVALID"
  | "IN_PROGRESS"
  | "PAYLOAD_MISMATCH"
  | "OUTCOME_UNKNOWN"
  | "SCOPE_MISMATCH"
  | "STORE_FAILED"
  | "RECORDED_ERROR"
  | "LEASE_LOST"
  | "RECORD_TOO_LARGE"
  | "STORE_UNAVAILABLE"
  | "REPEAT_REFUSED";

const PREFIX = "[agent-idempotency]";

/** Base class: a readable `name`, a stable `code`, and the `cause` when there is one. */
export class IdempotencyError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message.startsWith(PREFIX) ? message : `${PREFIX} ${message}`, options);
    this.name = "IdempotencyError";
    this.code = code;
  }
}

/**
 * The key cannot be derived: a selected identity field is missing, an argument cannot be
 * represented in JSON faithfully, no scope was given, or an explicit key is malformed.
 */
export class IdempotencyKeyError extends IdempotencyError {
  /** The field path at fault, when there is one (`"slot.start"`, `"items[2]"`). */
  readonly field: string | undefined;
  constructor(message: string, options?: ErrorOptions & { field?: string }) {
    super("KEY_INVALID", message, options);
    this.name = "IdempotencyKeyError";
    this.field = options?.field;
  }
}

/** A tool policy or engine option is invalid; thrown when the engine is created. */
export class IdempotencyPolicyError extends IdempotencyError {
  constructor(message: string, options?: ErrorOptions) {
    super("POLICY_INVALID", message, options);
    this.name = "IdempotencyPolicyError";
  }
}

/** Errors that concern one existing record carry it, so callers can inspect it. */
abstract class RecordError extends IdempotencyError {
  readonly key: string;
  readonly record: IdempotencyRecord | undefined;
  constructor(code: ErrorCode, key: string, record: IdempotencyRecord | undefined, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.key = key;
    this.record = record;
  }
}

/** Another caller holds a live claim on this key (`onInProgress: "error"`, or `waitMs` ran out). */
export class IdempotencyInProgressError extends RecordError {
  constructor(key: string, record: IdempotencyRecord | undefined, message?: string, options?: ErrorOptions) {
    super("IN_PROGRESS", key, record, message ?? `key ${key} is in progress in another call; retry later`, options);
    this.name = "IdempotencyInProgressError";
  }
}

/** Same key, different arguments, with `onPayloadMismatch: "error"`. */
export class IdempotencyPayloadMismatchError extends RecordError {
  constructor(key: string, record: IdempotencyRecord | undefined, options?: ErrorOptions) {
    super(
      "PAYLOAD_MISMATCH",
      key,
      record,
      `key ${key} was recorded with different arguments; if this is a new action, change an identity field or the scope`,
      options,
    );
    this.name = "IdempotencyPayloadMismatchError";
  }
}

/**
 * A previous holder's lease expired before it recorded an outcome, so whether its side effect
 * happened is unknown (`onUnknownOutcome: "error"`, or a reconcile hook that threw).
 */
export class IdempotencyOutcomeUnknownError extends RecordError {
  constructor(key: string, record: IdempotencyRecord | undefined, options?: ErrorOptions) {
    super(
      "OUTCOME_UNKNOWN",
      key,
      record,
      `key ${key}: a previous attempt stopped without recording an outcome; check upstream, then purge the record to run again`,
      options,
    );
    this.name = "IdempotencyOutcomeUnknownError";
  }
}

/** A record exists under this key but was written in another scope or by another action; it is never replayed here. */
export class IdempotencyScopeError extends RecordError {
  constructor(key: string, record: IdempotencyRecord | undefined, options?: ErrorOptions) {
    super(
      "SCOPE_MISMATCH",
      key,
      record,
      `key ${key} belongs to another scope or action; an explicit key must be unique per session and tool`,
      options,
    );
    this.name = "IdempotencyScopeError";
  }
}

/** The store failed (fail-closed: the tool did not run), or was misconfigured. */
export class IdempotencyStoreError extends IdempotencyError {
  constructor(message: string, options?: ErrorOptions & { code?: "STORE_FAILED" | "STORE_UNAVAILABLE" }) {
    super(options?.code ?? "STORE_FAILED", message, options);
    this.name = "IdempotencyStoreError";
  }
}

/** A failure recorded with `cacheErrors`, rethrown on replay. `recorded` is what was stored. */
export class IdempotencyRecordedError extends RecordError {
  readonly recorded: RecordedError;
  constructor(key: string, recorded: RecordedError, record?: IdempotencyRecord) {
    super("RECORDED_ERROR", key, record, recorded.message);
    this.name = "IdempotencyRecordedError";
    // The tool's own words, unprefixed: a replayed failure reads exactly like the original.
    this.message = recorded.message;
    this.recorded = recorded;
  }
}

/** The claim was taken over while the tool ran; given as the abort `signal`'s reason. */
export class IdempotencyLeaseLostError extends IdempotencyError {
  readonly key: string;
  constructor(key: string) {
    super("LEASE_LOST", `key ${key}: the lease was lost (another caller took over after it expired)`);
    this.name = "IdempotencyLeaseLostError";
    this.key = key;
  }
}

/**
 * Too large to record (`maxRecordBytes`): arguments are refused before the tool runs; a result
 * too large is not stored, and a replay of it (`when: "replay"`) reports that the action already
 * ran instead of running it again.
 */
export class IdempotencyRecordTooLargeError extends IdempotencyError {
  readonly key: string;
  readonly bytes: number;
  readonly limit: number;
  constructor(key: string, bytes: number, limit: number, when: "arguments" | "replay" = "arguments") {
    super(
      "RECORD_TOO_LARGE",
      when === "arguments"
        ? `key ${key}: the arguments are ${bytes} bytes, above maxRecordBytes (${limit}); send less, or raise maxRecordBytes`
        : `key ${key}: the action already ran, but its ${bytes}-byte result was above maxRecordBytes (${limit}) and was not kept; do not retry it, look the result up upstream`,
    );
    this.name = "IdempotencyRecordTooLargeError";
    this.key = key;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/**
 * Live detection refused a call: the same action, with the same arguments, in the same session
 * already executed under another key within the window (`liveDetection.onRepeat`). The tool did not
 * run; its claim was released, so the same call can run once someone decides it should.
 */
export class IdempotencyRepeatRefusedError extends IdempotencyError {
  readonly key: string;
  /** The key the earlier execution ran under, its scope, and when it started (epoch ms). */
  readonly previous: { key: string; scope: string; executedAt: number };
  constructor(action: string, key: string, previous: { key: string; scope: string; executedAt: number }, ageMs: number, kind: string) {
    super(
      "REPEAT_REFUSED",
      `${action}: refused: the same call (same arguments, same session) executed ${Math.max(0, Math.round(ageMs / 1000))} s ago under key ${previous.key} (${kind.replaceAll("_", " ")}); this call's key is ${key}. Confirm with the user before running it again`,
    );
    this.name = "IdempotencyRepeatRefusedError";
    this.key = key;
    this.previous = previous;
  }
}

/** What is kept of a failure recorded with `cacheErrors`. */
export interface RecordedError {
  name: string;
  message: string;
  code?: string | number | undefined;
  /** Optional JSON data the error carried (`error.data`). */
  data?: unknown;
}

/**
 * True when `error` is one of ours (optionally with the given `code`). Checks `code` and a
 * `name` prefix, not `instanceof`, so it works across duplicate copies of this package.
 */
export function isIdempotencyError(error: unknown, code?: ErrorCode): error is IdempotencyError {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  if (typeof e.name !== "string" || !e.name.startsWith("Idempotency")) return false;
  return code === undefined ? typeof e.code === "string" : e.code === code;
}

/** Turns anything thrown into the JSON that a `failed` record keeps. */
export function toRecordedError(error: unknown): RecordedError {
  if (error instanceof Error) {
    const out: RecordedError = { name: error.name, message: error.message };
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" || typeof code === "number") out.code = code;
    const data = (error as { data?: unknown }).data;
    if (data !== undefined) out.data = data;
    return out;
  }
  return { name: "Error", message: typeof error === "string" ? error : String(error) };
}
