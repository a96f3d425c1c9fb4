/**
 * The store contract. Every state change is one conditional write keyed on the claim's fencing
 * token, so a caller whose lease was taken over can never overwrite or delete the newer holder's
 * record. Instants (`now`) come from the engine's clock, so a store is a pure function of its
 * inputs and the conformance suite runs on a fake clock against every backend.
 *
 * Expected outcomes are return values (`existing`, `false`); only a failing backend throws, and
 * it throws {@link IdempotencyStoreError} with the driver error as `cause`.
 */
import type { RecordedError } from "./errors.js";
import type { IdempotencyRecord, InProgressRecord } from "./record.js";

/** What the engine asks for when it claims a key. */
export interface ClaimRequest {
  /** The call's scope, written into the record so that a replay goes only to the same scope. */
  scope: string;
  /** The action (tool name), written into the record. */
  action: string;
  /** sha256 of the canonical arguments, compared on replay to notice different arguments under the key. */
  fingerprint: string;
  /** The engine's clock, epoch ms. */
  now: number;
  /** The claim holds until `now + leaseMs` unless heartbeats extend it. */
  leaseMs: number;
  /** How long an abandoned in-progress record is kept after its lease, for the audit trail. */
  retentionMs: number;
  /**
   * Take over an in-progress record whose lease has expired (default true). With false the
   * expired record comes back as `existing`, for `onUnknownOutcome: "error"`.
   */
  takeover?: boolean;
}

/** A claim this caller holds. Pass it back unchanged to complete, fail, release or heartbeat. */
export interface Acquired {
  /** The idempotency key claimed. */
  readonly key: string;
  /** The fencing token: every later write is conditional on the record still carrying it. */
  readonly token: string;
  /** 1 for the first claim of the key, +1 for each take-over of an expired lease. */
  readonly attempt: number;
  /** The record as this claim wrote it (its lease is updated by heartbeats). */
  readonly record: InProgressRecord;
}

/** The result of {@link IdempotencyStore.claim}. */
export type ClaimResult =
  | {
      outcome: "claimed";
      claim: Acquired;
      /** The record this claim replaced: an expired lease (a take-over) or an expired retention. */
      previous?: IdempotencyRecord | undefined;
    }
  | { outcome: "existing"; record: IdempotencyRecord };

/** The result of a tool call, as {@link IdempotencyStore.complete} records it. */
export interface Completion {
  /**
   * The result as it is to be stored. A plain-JSON result is passed as the tool returned it, not
   * copied (the caller gets it back once `complete` resolves): serialize it before then, and keep
   * no reference to it.
   */
  value: unknown;
  /** The upstream's id for the call's effect (the policy's `responseId`), kept for the audit. */
  responseId?: string | undefined;
  /** The engine's clock when the tool finished, epoch ms; becomes the record's `completedAt`. */
  now: number;
  /** The record replays until `now + ttlMs`. */
  ttlMs: number;
}

/** A final failure (the policy's `cacheErrors` said so), as {@link IdempotencyStore.fail} records it. */
export interface FinalFailure {
  /** The error as it is recorded and rethrown on replay (name, message, code; never a stack). */
  error: RecordedError;
  /** The engine's clock when the tool failed, epoch ms; becomes the record's `completedAt`. */
  now: number;
  /** The failure replays until `now + ttlMs`. */
  ttlMs: number;
}

/**
 * The old name of {@link FinalFailure}.
 * @deprecated Use `FinalFailure` (a name that does not read as an error class); `Failure` goes in 0.3.
 */
export type Failure = FinalFailure;

/** Options for listing records (the CLI's `inspect` and `purge`). */
export interface ListOptions {
  /** Stop after this many records. */
  limit?: number;
}

/**
 * Where claims and outcomes live. Implementations: `MemoryStore` (core), `SqliteStore`,
 * `PostgresStore`, `RedisStore`; each passes `describeStoreConformance`.
 */
export interface IdempotencyStore {
  /** Atomic insert-if-absent; or take over an expired lease or an expired record (compare-and-set). */
  claim(key: string, req: ClaimRequest): Promise<ClaimResult>;
  /** Records the result; false when the token is stale (the lease was taken over). */
  complete(claim: Acquired, outcome: Completion): Promise<boolean>;
  /** Records a final failure; false when the token is stale. */
  fail(claim: Acquired, failure: FinalFailure): Promise<boolean>;
  /** Deletes the claim so the next call runs again; false when the token is stale. */
  release(claim: Acquired): Promise<boolean>;
  /** Extends the lease to `now + leaseMs`; false when the token is stale. */
  heartbeat(claim: Acquired, lease: { now: number; leaseMs: number }): Promise<boolean>;
  /** Reads a record without deleting or changing it (expired ones included). */
  get(key: string): Promise<IdempotencyRecord | undefined>;
  /** Every record, in no particular order; optional, used by the CLI. */
  list?(options?: ListOptions): AsyncIterable<IdempotencyRecord>;
  /** Deletes records whose physical expiry is at or before `before`; returns how many. Optional. */
  purge?(options: { before: number }): Promise<number>;
  /** Creates tables and connects; idempotent. Stores call it on first use too. */
  setup?(): Promise<void>;
  /** Releases connections this store opened; idempotent. */
  close(): Promise<void>;
}
