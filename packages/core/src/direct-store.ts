/**
 * The in-process fast path between the engine and a store whose answers need no I/O (the
 * `MemoryStore`): a claim and a complete answered directly, without a promise, so a guarded call
 * on such a store awaits its tool and nothing else. A store offers it by implementing these two
 * symbol-keyed methods; each returns undefined when it cannot answer directly this time (not set
 * up yet, closed, an operation queued on the claim), and the engine then calls the ordinary
 * `claim` or `complete`. Internal to core: the public contract stays {@link IdempotencyStore}.
 */
import type { Acquired, ClaimRequest, ClaimResult, Completion, IdempotencyStore } from "./store.js";

export const CLAIM_NOW: unique symbol = Symbol("agent-idempotency claimNow");
export const COMPLETE_NOW: unique symbol = Symbol("agent-idempotency completeNow");

/** What a store answering directly implements (besides {@link IdempotencyStore}). */
export interface DirectStore {
  /** `claim`, answered now; undefined: call `claim`. Throws what `claim` would reject with. */
  [CLAIM_NOW](key: string, req: ClaimRequest): ClaimResult | undefined;
  /** `complete`, answered now; undefined: call `complete`. Throws what `complete` would reject with. */
  [COMPLETE_NOW](claim: Acquired, outcome: Completion): boolean | undefined;
}

/** `store` when it offers the direct path. */
export function directStore(store: IdempotencyStore): DirectStore | undefined {
  const s = store as Partial<DirectStore>;
  return typeof s[CLAIM_NOW] === "function" && typeof s[COMPLETE_NOW] === "function" ? (store as unknown as DirectStore) : undefined;
}
