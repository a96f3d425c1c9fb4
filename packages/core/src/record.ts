/**
 * The record a store keeps under each key, a union keyed by `status`.
 *
 * Lifecycle (one conditional write per arrow, each keyed on the fencing token):
 *
 * ```
 *   (absent) --claim--> in_progress --complete--> completed --(expiresAt)--> (absent)
 *                          |   |  \---fail-----> failed    --(expiresAt)--> (absent)
 *                          |   \---release-----> (absent)
 *                          \--(leaseUntil passes, another claim)--> in_progress (attempt + 1, new token)
 * ```
 *
 * Every instant is epoch milliseconds from the engine's clock. Records are plain JSON so every
 * store keeps them in Keyv's own value encoding; `v` is the schema version.
 */
import type { RecordedError } from "./errors.js";

/** The three states a record can be in. */
export const RecordStatus = {
  InProgress: "in_progress",
  Completed: "completed",
  Failed: "failed",
} as const;
/** One of the {@link RecordStatus} values: `"in_progress" | "completed" | "failed"`. */
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

/** Schema version written into every record. */
export const RECORD_VERSION = 1;

/** What every record carries, whatever its status: the schema version. */
export interface RecordBase {
  /** The schema version, {@link RECORD_VERSION}. */
  v: 1;
  /** The idempotency key the record is stored under. */
  key: string;
  /** The scope (session, turn) that wrote the record; replays go only to the same scope. */
  scope: string;
  /** The action (tool name). */
  action: string;
  /** sha256 of the canonical arguments, to notice the same key with different arguments. */
  fingerprint: string;
  /** Fencing token of the claim that wrote this record. */
  token: string;
  /** 1 for the first claim, +1 for each take-over of an expired lease. */
  attempt: number;
  /** When the current claim was acquired. */
  claimedAt: number;
}

/** A caller holds the key and is running the tool. */
export interface InProgressRecord extends RecordBase {
  /** Tells the record apart from the completed and failed ones. */
  status: "in_progress";
  /** The claim is presumed dead after this instant (extended by heartbeats). */
  leaseUntil: number;
}

/** The tool ran and its result is recorded; replays return `value` until `expiresAt`. */
export interface CompletedRecord extends RecordBase {
  /** Tells the record apart from the in-progress and failed ones. */
  status: "completed";
  /** The tool's result as stored (plain JSON), returned to every replay. */
  value: unknown;
  /** The upstream's id for the effect, when the policy's `responseId` found one; for the audit. */
  responseId?: string | undefined;
  /** When the outcome was recorded, epoch ms (a replay's `recordedAt`). */
  completedAt: number;
  /** The record replays until this instant (`completedAt + ttlMs`); after it the key runs again. */
  expiresAt: number;
}

/** The tool failed with an error the policy said was final (`cacheErrors`). */
export interface FailedRecord extends RecordBase {
  /** Tells the record apart from the in-progress and completed ones. */
  status: "failed";
  /** The failure, rethrown on replay as an `IdempotencyRecordedError`. */
  error: RecordedError;
  /** When the failure was recorded, epoch ms. */
  completedAt: number;
  /** The failure replays until this instant (`completedAt + ttlMs`); after it the key runs again. */
  expiresAt: number;
}

/** A stored record, told apart by `status`: claimed and running, completed, or failed for good. */
export type IdempotencyRecord = InProgressRecord | CompletedRecord | FailedRecord;

/** True when the record no longer replays (`completed`/`failed` past `expiresAt`). */
export function isRetentionExpired(record: IdempotencyRecord, now: number): boolean {
  return record.status !== "in_progress" && record.expiresAt <= now;
}

/**
 * The instant after which a store may physically delete the record. An abandoned in-progress
 * record is kept for a retention period after its lease, so the unknown outcome stays visible.
 */
export function physicalExpiry(record: IdempotencyRecord, retentionMs: number): number {
  return record.status === "in_progress" ? record.leaseUntil + retentionMs : record.expiresAt;
}

/**
 * Validates a decoded value as a record of this schema version. Stores call it on every read so
 * that a foreign or corrupt value under one of our keys is reported, not misinterpreted.
 */
export function isIdempotencyRecord(value: unknown): value is IdempotencyRecord {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Partial<IdempotencyRecord>;
  if (r.v !== RECORD_VERSION || typeof r.key !== "string" || typeof r.token !== "string") return false;
  if (typeof r.scope !== "string" || typeof r.fingerprint !== "string" || typeof r.attempt !== "number") return false;
  switch (r.status) {
    case "in_progress":
      return typeof (r as InProgressRecord).leaseUntil === "number";
    case "completed":
    case "failed":
      return typeof (r as CompletedRecord).expiresAt === "number";
    default:
      return false;
  }
}
