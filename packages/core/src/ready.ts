/**
 * The start-up health check behind `idempotency.ready()`: a wrong URL, a missing database or a dead
 * server should fail the boot, with the driver's reason, not the first tool call in production.
 */
import { IdempotencyStoreError } from "./errors.js";
import type { IdempotencyStore } from "./store.js";

/** Sets `store` up and reads from it; throws {@link IdempotencyStoreError} (`STORE_UNAVAILABLE`) saying why not. */
export async function storeReady(store: IdempotencyStore): Promise<void> {
  try {
    await store.setup?.();
    // A read proves the store answers (some stores connect lazily, or have nothing to set up).
    await store.get("agent-idempotency:ready");
  } catch (cause) {
    throw new IdempotencyStoreError("ready(): the store is not usable", { cause, code: "STORE_UNAVAILABLE" });
  }
}
