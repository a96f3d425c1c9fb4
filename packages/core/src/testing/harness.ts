import type { IdempotencyStore } from "../store.js";

/** What the suite needs from the test framework. vitest, jest and mocha globals all fit. */
export interface TestApi {
  /** Registers a group of tests (vitest's, jest's or mocha's `describe`). */
  describe(name: string, fn: () => void): unknown;
  /** Registers one test; `timeout` is in ms (the third argument of vitest's and jest's `it`). */
  it(name: string, fn: () => Promise<void> | void, timeout?: number): unknown;
}

/** How a backend plugs into the conformance suite. */
export interface StoreHarness {
  /**
   * A fresh store. `namespace` is unique per test, so tests never see each other's records
   * (use it as the key prefix or Keyv namespace).
   */
  createStore(ctx: { namespace: string }): IdempotencyStore | Promise<IdempotencyStore>;
  /** Cleans up after a test; default `store.close()`. */
  destroyStore?(store: IdempotencyStore): Promise<void>;
  /**
   * A Keyv instance over the same backend and namespace, to prove records stay Keyv's
   * (`await keyv.get(key)` returns the record). Omit to skip that case.
   */
  openKeyv?(store: IdempotencyStore, ctx: { namespace: string }): Promise<{ get(key: string): Promise<unknown>; disconnect?(): Promise<void> }>;
  /** Per-test timeout in ms (default 20 000). */
  timeoutMs?: number;
  /** The framework's `describe`/`it`; default: the globals. */
  test?: TestApi;
}

/** The framework's globals (vitest with `globals`, jest, mocha), or an error saying what to pass. */
export function globalTestApi(caller: string): TestApi {
  const g = globalThis as unknown as Partial<TestApi>;
  if (typeof g.describe !== "function" || typeof g.it !== "function") {
    throw new Error(`[agent-idempotency] ${caller}: pass { test: { describe, it } } (no global describe/it found)`);
  }
  return { describe: g.describe, it: g.it };
}
