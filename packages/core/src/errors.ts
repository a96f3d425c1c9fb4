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
  /** Stable across versions and renamed classes; branch on it rather than on the message. */
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

/**
 * A tool policy or an option is invalid; thrown when the engine (or the node, or the middleware)
 * is created. One error names every problem found, each with its fix; `problems` lists them.
 */
export class IdempotencyPolicyError extends IdempotencyError {
  /** Every problem found, one sentence each (the message lists them too). */
  readonly problems: readonly string[];
  /**
   * @param problems one problem, or all of them
   * @param options `subject` names what was being configured (`"IdempotentToolNode"`), for the message's first line
   */
  constructor(problems: string | readonly string[], options?: ErrorOptions & { subject?: string }) {
    const list = (typeof problems === "string" ? [problems] : [...problems]).map((p) => p.replace(/^\[agent-idempotency\] /, ""));
    const subject = options?.subject === undefined ? "" : `${options.subject}: `;
    super(
      "POLICY_INVALID",
      list.length === 1 ? `${subject}${list[0]}` : `${subject}${list.length} problems in the configuration:\n${list.map((p) => `  - ${p}`).join("\n")}`,
      options,
    );
    this.name = "IdempotencyPolicyError";
    this.problems = list;
  }
}

/**
 * The errors about a record that already exists for the key (in progress, recorded, for another
 * scope or other arguments): each carries the `key` and the `record`, so a caller can inspect it.
 */
export abstract class IdempotencyExistingRecordError extends IdempotencyError {
  /** The idempotency key the record is stored under. */
  readonly key: string;
  /**
   * The record as read from the store; undefined when the conflict was seen without reading one
   * (a call in this process that shared another's result).
   */
  readonly record: IdempotencyRecord | undefined;
  constructor(code: ErrorCode, key: string, record: IdempotencyRecord | undefined, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.key = key;
    this.record = record;
  }
}

/** Another caller holds a live claim on this key (`onInProgress: "error"`, or `waitMs` ran out). */
export class IdempotencyInProgressError extends IdempotencyExistingRecordError {
  constructor(key: string, record: IdempotencyRecord | undefined, message?: string, options?: ErrorOptions) {
    super("IN_PROGRESS", key, record, message ?? `key ${key} is in progress in another call; retry later`, options);
    this.name = "IdempotencyInProgressError";
  }
}

/** Same key, different arguments, with `onPayloadMismatch: "error"`. */
export class IdempotencyPayloadMismatchError extends IdempotencyExistingRecordError {
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
export class IdempotencyOutcomeUnknownError extends IdempotencyExistingRecordError {
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
export class IdempotencyScopeError extends IdempotencyExistingRecordError {
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

/**
 * The store failed (fail-closed: the tool did not run), or was misconfigured. When it has a
 * `cause`, the message ends with the cause's own message and code (`…: connect ECONNREFUSED
 * 127.0.0.1:1 (ECONNREFUSED)`), so the reason shows wherever only messages are logged.
 */
export class IdempotencyStoreError extends IdempotencyError {
  constructor(message: string, options?: ErrorOptions & { code?: "STORE_FAILED" | "STORE_UNAVAILABLE" }) {
    const reason = options !== undefined && "cause" in options ? causeText(options.cause) : "";
    super(options?.code ?? "STORE_FAILED", reason === "" || message.endsWith(reason) ? message : `${message}: ${reason}`, options);
    this.name = "IdempotencyStoreError";
  }
}

/** A driver error's `code` (`ECONNREFUSED`, Postgres's `3D000`), if it has one. */
function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" || typeof code === "number" ? String(code) : undefined;
}

/**
 * `message (code)` of a cause: a driver error's own words. An `AggregateError` (a connection
 * tried on several addresses) often has an empty message; its errors' messages are used then.
 * A wrapper without a code of its own (node-redis's `ReconnectStrategyError`) lends the code of
 * the socket error it wraps.
 */
export function causeText(cause: unknown): string {
  if (cause === undefined || cause === null) return "";
  if (!(cause instanceof Error) && (typeof cause !== "object" || typeof (cause as { message?: unknown }).message !== "string")) return String(cause);
  const e = cause as Error & { code?: unknown; errors?: unknown };
  let message = String(e.message ?? "").replace(/^\[agent-idempotency\] /, "");
  if (message === "" && Array.isArray(e.errors)) message = [...new Set(e.errors.map((x) => causeText(x)).filter((x) => x !== ""))].join("; ");
  if (message === "") message = e.name || "Error";
  const code = codeOf(e) ?? codeOf((e as { socketError?: unknown }).socketError) ?? codeOf((e as { originalError?: unknown }).originalError) ?? codeOf(e.cause) ?? "";
  // Our own errors carry their code in `name`; a driver's code is what a search engine finds.
  if (code === "" || isIdempotencyError(cause) || message.endsWith(`(${code})`)) return message;
  return `${message} (${code})`;
}

/** A failure recorded with `cacheErrors`, rethrown on replay. `recorded` is what was stored. */
export class IdempotencyRecordedError extends IdempotencyExistingRecordError {
  /** The failure as it was recorded: the original error's name, message, code and data. */
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
  /** The key whose claim was taken over. */
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
  /** The key of the call. */
  readonly key: string;
  /** Size of the arguments or the result, in UTF-8 bytes of their JSON. */
  readonly bytes: number;
  /** The `maxRecordBytes` in force, in bytes. */
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
  /** The key of the refused call (not the earlier one's; that is `previous.key`). */
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
  /** The error's `name` (`"Error"` for a thrown non-Error). */
  name: string;
  /** The error's message, rethrown verbatim on replay. */
  message: string;
  /** The error's own `code` (an HTTP status, `"ECONNRESET"`), when it had a string or number one. */
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
