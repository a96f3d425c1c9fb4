export { canonicalJson, toStrictJson } from "./canonical.js";
export type { JsonValue } from "./canonical.js";
export { fingerprint, idempotencyKey, isVolatileFieldName, parsePath, readPath, selectIdentity } from "./key.js";
export type { KeyParts } from "./key.js";
export { boolean, collapseWhitespace, compose, isoInstant, lowercase, nfc, number, trim } from "./normalize.js";
export type { Normalizer } from "./normalize.js";
export { asSet, each, sortedBy, unordered } from "./normalize-arrays.js";
export { minorUnits } from "./normalize-money.js";
export { normalizers } from "./normalizers.js";
export { normalizersFromSchema } from "./schema-normalizers.js";
export type { DerivedNormalizer, JsonSchema, SchemaNormalizeOptions } from "./schema-normalizers.js";
export { deriveKey, normalizeArgs, normalizersFor } from "./derive.js";
export type { DerivedKey, GuardedCall, NormalizerEntry } from "./derive.js";
export { formatKeyComparison, formatKeyExplanation } from "./explain-text.js";
export type { KeyComparison, KeyDifference, KeyExplanation, NormalizerStep } from "./explain-key.js";
export { createPolicyTable, DEFAULT_LEASE_MS, DEFAULT_TTL_MS, POLICY_DEFAULTS_FIELDS, policyTableProblems, resolvePolicy, TOOL_POLICY_FIELDS } from "./policy.js";
export type { PolicyDefaults, PolicyScope, PolicyScopeFunction, PolicyTable, Reconcile, ResolvedPolicy, ToolPolicies, ToolPolicy } from "./policy.js";
export { configurationProblems, IDEMPOTENCY_OPTION_FIELDS, isIdempotencyStore, validateOptions } from "./validate.js";
export { closestName, didYouMean, unknownFieldProblems } from "./suggest.js";
export { realSleep, systemClock } from "./clock.js";
export type { Clock } from "./clock.js";
export { decideClaim, isLeaseLive, newInProgressRecord, newToken } from "./lease.js";
export type { ClaimDecision } from "./lease.js";
export { isIdempotencyRecord, isRetentionExpired, physicalExpiry, RECORD_VERSION, RecordStatus } from "./record.js";
export type { CompletedRecord, FailedRecord, IdempotencyRecord, InProgressRecord } from "./record.js";
export type { Acquired, ClaimRequest, ClaimResult, Completion, Failure, IdempotencyStore, ListOptions } from "./store.js";
export { createIdempotency } from "./engine.js";
export type { Idempotency, IdempotencyOptions, RunContext, RunOutcome, RunResult } from "./engine-types.js";
export type { CallEnd, CallObserver, CallStart, IdempotencyInstrumentation } from "./instrumentation.js";
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
  causeText,
  isIdempotencyError,
  toRecordedError,
} from "./errors.js";
export type { ErrorCode, RecordedError } from "./errors.js";
export { KeyvBackedStore } from "./keyv-store.js";
export type { AtomicOps, KeyvBackedStoreOptions } from "./keyv-store.js";
export { KeyvStore } from "./generic-keyv-store.js";
export { MemoryStore } from "./memory-store.js";
export type { MemoryStoreOptions } from "./memory-store.js";
export { AuditOutcome, inRange } from "./audit/entry.js";
export type { AuditEntry, AuditQuery, AuditSink, MalformedEntry, RepeatDecisionLogged } from "./audit/entry.js";
export { isKnownOutcome, MalformedTally, parseTimestamp, readAuditEntry } from "./audit/read-entry.js";
export type { ReadResult } from "./audit/read-entry.js";
export { MemoryAuditLog } from "./audit/memory-audit-log.js";
export { JsonlAuditLog } from "./audit/jsonl-audit-log.js";
export { flushOnSignals, SIGNAL_GRACE_MS } from "./audit/flush-on-signals.js";
export type { Flushable } from "./audit/flush-on-signals.js";
export { auditReport, emptyCounts } from "./audit/report.js";
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
} from "./audit/report.js";
export { defaultResponseId, responseIdOf } from "./response-id.js";
export { claimRepeatWindow, repeatWindowKey } from "./live-detection.js";
export type { DetectedRepeat, LiveDetectionOptions, RepeatDecision, RepeatHook, WindowHolder } from "./live-detection.js";
export { AUDIT_LOG_SCHEMES, createAuditLog, createStore, STORE_SCHEMES } from "./create-store.js";
export type { CreateStoreOptions, ModuleLoader } from "./create-store.js";
export { createRecordCodec, DEFAULT_MAX_RECORD_BYTES } from "./protect.js";
export type { ProtectOptions, RecordCodec, RecordCodecOptions, RedactContext } from "./protect.js";
