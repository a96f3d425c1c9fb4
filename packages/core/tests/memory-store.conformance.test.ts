import { describe, it } from "vitest";
import { MemoryStore } from "@agent-idempotency/core";
import { describeStoreConformance } from "@agent-idempotency/core/testing";

describeStoreConformance("MemoryStore", ({ namespace }) => new MemoryStore({ namespace }), {
  test: { describe, it },
  openKeyv: async (store) => (store as MemoryStore).keyv,
});
