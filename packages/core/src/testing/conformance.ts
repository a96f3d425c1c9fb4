/**
 * The behaviour every {@link IdempotencyStore} must show, as one call per backend:
 *
 * ```ts
 * import { describe, it } from "vitest";
 * import { describeStoreConformance } from "@agent-idempotency/core/testing";
 * describeStoreConformance("MemoryStore", () => new MemoryStore(), { test: { describe, it } });
 * ```
 *
 * Time is passed to the store explicitly (`now`), so every case runs on exact instants with no
 * sleeps, against real servers too. Assertions use `node:assert`: the suite imports no test
 * framework.
 */
import { randomUUID } from "node:crypto";
import type { IdempotencyStore } from "../store.js";
import { claimCases } from "./cases/claim.js";
import { completeCases } from "./cases/complete.js";
import { leaseCases } from "./cases/lease.js";
import { repeatWindowCases } from "./cases/repeat-window.js";
import type { StoreHarness, TestApi } from "./harness.js";
import { globalTestApi } from "./harness.js";

/** Handed to each group of cases. */
export interface CaseContext {
  /** The framework's `it`, with the harness's per-test timeout applied. */
  it: TestApi["it"];
  /** Runs `fn` with a fresh store (and a unique key prefix), cleaning up after. */
  withStore(fn: (store: IdempotencyStore, key: (name?: string) => string, namespace: string) => Promise<void>): () => Promise<void>;
  /** The backend's harness, for cases that need more than a store (its `openKeyv`). */
  harness: StoreHarness;
  /** Per-test timeout in ms (the harness's `timeoutMs`, default 20 000). */
  timeoutMs: number;
}

/** Registers the store conformance suite under `describe(name)`. */
export function describeStoreConformance(
  name: string,
  makeStore: StoreHarness["createStore"] | StoreHarness,
  options: Partial<StoreHarness> = {},
): void {
  const harness: StoreHarness = typeof makeStore === "function" ? { ...options, createStore: makeStore } : { ...makeStore, ...options };
  const test = harness.test ?? globalTestApi("describeStoreConformance");
  const timeoutMs = harness.timeoutMs ?? 20_000;
  const ctx: CaseContext = {
    it: (title, fn) => test.it(title, fn, timeoutMs),
    harness,
    timeoutMs,
    withStore: (fn) => async () => {
      const namespace = `t${randomUUID().slice(0, 8)}`;
      const store = await harness.createStore({ namespace });
      try {
        await fn(store, (k = "k") => `${k}-${randomUUID()}`, namespace);
      } finally {
        await (harness.destroyStore ? harness.destroyStore(store) : store.close());
      }
    },
  };
  test.describe(`${name}: store conformance`, () => {
    claimCases(ctx);
    completeCases(ctx);
    leaseCases(ctx);
    repeatWindowCases(ctx);
  });
}
