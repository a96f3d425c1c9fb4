/**
 * `@agent-idempotency/core/testing`: the suites every store passes. `describeStoreConformance`
 * (the store contract, case by case, with the test runner passed in) and `crossProcessRace` /
 * `describeCrossProcessRace` (real processes racing on one store), plus the fake clock they use.
 *
 * @packageDocumentation
 */

export { describeStoreConformance } from "./conformance.js";
export type { CaseContext } from "./conformance.js";
export type { StoreHarness, TestApi } from "./harness.js";
export { FakeClock } from "./fake-clock.js";
export { claimRequest, T0 } from "./cases/util.js";
export { crossProcessRace } from "./cross-process.js";
export { describeCrossProcessRace } from "./cross-process-suite.js";
export type { CrossProcessSuiteOptions } from "./cross-process-suite.js";
export type { CrossProcessMode, CrossProcessOptions, CrossProcessResult, StoreSpec } from "./cross-process.js";
