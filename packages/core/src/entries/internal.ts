/**
 * `@agent-idempotency/core/internal`: what the `@agent-idempotency/*` packages share among
 * themselves (key derivation, policy tables, option checks, "did you mean" suggestions).
 *
 * **Not a stable API.** Any release may change or remove these names without notice; import them
 * only from the `@agent-idempotency/*` packages of the same version.
 *
 * @packageDocumentation
 */

// Keys: canonical JSON, the key formula, field paths.
export { canonicalJson, toStrictJson } from "../canonical.js";
export type { JsonValue } from "../canonical.js";
export { fingerprint, idempotencyKey, isVolatileFieldName, parsePath, readPath, selectIdentity } from "../key.js";
export type { KeyParts } from "../key.js";
export { deriveKey, normalizeArgs, normalizersFor } from "../derive.js";
export type { NormalizerEntry } from "../derive.js";
export { formatKeyComparison, formatKeyExplanation } from "../explain-text.js";

// Policies and options: resolution, and the checks that run at start-up.
export { createPolicyTable, POLICY_DEFAULTS_FIELDS, policyTableProblems, resolvePolicy, TOOL_POLICY_FIELDS } from "../policy.js";
export { configurationProblems, IDEMPOTENCY_OPTION_FIELDS, isIdempotencyStore, validateOptions } from "../validate.js";
export { closestName, didYouMean, unknownFieldProblems } from "../suggest.js";
export { responseIdOf } from "../response-id.js";
export { createRecordCodec } from "../protect.js";
export type { RecordCodec, RecordCodecOptions } from "../protect.js";
export { realSleep } from "../clock.js";

// Errors as records.
export { causeText, toRecordedError } from "../errors.js";

// Live detection's window, kept in the store.
export { claimRepeatWindow, repeatWindowKey } from "../live-detection.js";
export type { WindowHolder } from "../live-detection.js";

// Reading audit logs for the CLI.
export { emptyCounts } from "../audit/report.js";
export { AUDIT_LOG_SCHEMES, STORE_SCHEMES } from "../create-store.js";
