/**
 * `@agent-idempotency/core`: what an application uses. The engine (`createIdempotency`), its
 * options and results, the tool policies, the normalizers, the stores that need no other package,
 * the audit log and its report, and the errors.
 *
 * What a store author needs is in `@agent-idempotency/core/store`, the conformance suite in
 * `@agent-idempotency/core/testing`, the phone normalizer in `@agent-idempotency/core/phone`.
 *
 * @packageDocumentation
 */

// The engine: one guarded call at a time.
export { createIdempotency } from "./engine.js";
export type { Idempotency, IdempotencyOptions, RunContext, RunOutcome, RunResult } from "./engine-types.js";
export type { DerivedKey, GuardedCall } from "./derive.js";
export type { KeyComparison, KeyDifference, KeyExplanation, NormalizerStep } from "./explain-key.js";
export type { CallEnd, CallObserver, CallStart, IdempotencyInstrumentation } from "./instrumentation.js";
export { DEFAULT_MAX_RECORD_BYTES } from "./protect.js";
export type { ProtectOptions, RedactContext } from "./protect.js";
export type { DetectedRepeat, LiveDetectionOptions, RepeatDecision, RepeatHook } from "./live-detection.js";
export { systemClock } from "./clock.js";
export type { Clock } from "./clock.js";

// Policies: which tools are guarded, and how.
export { DEFAULT_LEASE_MS, DEFAULT_TTL_MS } from "./policy.js";
export type { PolicyDefaults, PolicyScope, PolicyScopeFunction, PolicyTable, Reconcile, ResolvedPolicy, ToolPolicies, ToolPolicy } from "./policy.js";
export { defaultResponseId } from "./response-id.js";

// Normalizers: what a model writes to what it means.
export { boolean, collapseWhitespace, compose, isoInstant, lowercase, nfc, number, trim } from "./normalize.js";
export type { Normalizer } from "./normalize.js";
export { asSet, each, sortedBy, unordered } from "./normalize-arrays.js";
export { minorUnits } from "./normalize-money.js";
export { normalizers } from "./normalizers.js";
export { normalizersFromSchema } from "./schema-normalizers.js";
export type { DerivedNormalizer, JsonSchema, SchemaNormalizeOptions } from "./schema-normalizers.js";

// Stores: the contract's types, and the stores that need no other package.
export { MemoryStore } from "./memory-store.js";
export type { MemoryStoreOptions } from "./memory-store.js";
export { KeyvStore } from "./generic-keyv-store.js";
export { createAuditLog, createStore } from "./create-store.js";
export type { CreateStoreOptions, ModuleLoader } from "./create-store.js";
export type { Acquired, ClaimRequest, ClaimResult, Completion, Failure, FinalFailure, IdempotencyStore, ListOptions } from "./store.js";
export type { CompletedRecord, FailedRecord, IdempotencyRecord, InProgressRecord, RecordBase, RecordStatus } from "./record.js";

// The audit: one entry per guarded call, and the report that reads them.
export { MemoryAuditLog } from "./audit/memory-audit-log.js";
export { JsonlAuditLog } from "./audit/jsonl-audit-log.js";
export { auditReport } from "./audit/report.js";
export { MalformedTally } from "./audit/read-entry.js";
export { AuditOutcome } from "./audit/entry.js";
export type { AuditEntry, AuditQuery, AuditSink, MalformedEntry, RepeatDecisionLogged } from "./audit/entry.js";
export type {
  ActionWithSeveralKeys,
  AuditFlag,
  AuditReport,
  AuditReportOptions,
  BlindSpots,
  KeyWithSeveralResponses,
  LiveDetectionCounts,
  OutcomeCounts,
  RepeatExecution,
  RepeatInNewTurn,
  UnguardedRepeats,
} from "./audit/report-types.js";

// Errors: every one the packages throw, and the guard that tells them apart.
export {
  IdempotencyError,
  IdempotencyInProgressError,
  IdempotencyKeyError,
  IdempotencyLeaseLostError,
  IdempotencyOutcomeUnknownError,
  IdempotencyPayloadMismatchError,
  IdempotencyPolicyError,
  IdempotencyRecordedError,
  IdempotencyRecordTooLargeError,
  IdempotencyRepeatRefusedError,
  IdempotencyScopeError,
  IdempotencyStoreError,
  isIdempotencyError,
} from "./errors.js";
export type { ErrorCode, IdempotencyExistingRecordError, RecordedError } from "./errors.js";
