/**
 * `@agent-idempotency/core/store`: what a store author uses. The store contract and its records,
 * the lease rules every store applies the same way, `KeyvBackedStore` with the four atomic
 * primitives a backend supplies (`AtomicOps`), what SQL backends share around their statements
 * (`listByKeyset`, `BatchedPurge`), and what an audit sink needs to read and write entries
 * (`AuditBatcher` for a sink that writes in batches). Run the conformance suite from
 * `@agent-idempotency/core/testing` against the result.
 *
 * An application needs none of this: `@agent-idempotency/core` has the engine and the stores.
 *
 * @packageDocumentation
 */

// The contract.
export type { Acquired, ClaimRequest, ClaimResult, Completion, Failure, FinalFailure, IdempotencyStore, ListOptions } from "../store.js";
export { isIdempotencyRecord, isRetentionExpired, physicalExpiry, RECORD_VERSION, RecordStatus } from "../record.js";
export type { CompletedRecord, FailedRecord, IdempotencyRecord, InProgressRecord, RecordBase } from "../record.js";
export type { RecordedError } from "../errors.js";

// The lease rules: claim, take over, expire.
export { decideClaim, isLeaseLive, newInProgressRecord, newToken } from "../lease.js";
export type { ClaimDecision } from "../lease.js";

// A store on a Keyv adapter plus four atomic primitives.
export { KeyvBackedStore } from "../keyv-store.js";
export type { AtomicOps, InsertResult, KeyvBackedStoreOptions } from "../keyv-store.js";

// What SQL backends share around their statements: listing in keyset pages, purging in batches.
export { listByKeyset } from "../keyset-pages.js";
export type { KeyedRow } from "../keyset-pages.js";
export { BatchedPurge } from "../batched-purge.js";
export type { PurgeSchedule } from "../batched-purge.js";

// Audit sinks: the entry, reading what others wrote, writing in batches, flushing on exit.
export { AuditOutcome, inRange } from "../audit/entry.js";
export type { AuditEntry, AuditQuery, AuditSink, MalformedEntry, RepeatDecisionLogged } from "../audit/entry.js";
export { isKnownOutcome, parseTimestamp, readAuditEntry } from "../audit/read-entry.js";
export type { ReadResult } from "../audit/read-entry.js";
export { flushOnSignals, SIGNAL_GRACE_MS } from "../audit/flush-on-signals.js";
export type { Flushable } from "../audit/flush-on-signals.js";
export { AuditBatcher } from "../audit/audit-batcher.js";
export type { AuditBatcherOptions } from "../audit/audit-batcher.js";
