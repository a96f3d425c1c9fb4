import assert from "node:assert/strict";
import type { CaseContext } from "../conformance.js";
import { claimRequest, T0 } from "./util.js";

export function leaseCases({ it, withStore }: CaseContext): void {
  it("heartbeat(): extends the lease so the claim is not taken over", withStore(async (store, key) => {
    const k = key();
    const c = await store.claim(k, claimRequest());
    if (c.outcome !== "claimed") throw new Error("expected a claim");
    assert.equal(await store.heartbeat(c.claim, { now: T0 + 40_000, leaseMs: 60_000 }), true);
    const during = await store.claim(k, claimRequest(90_000));
    assert.equal(during.outcome, "existing");
    if (during.outcome === "existing" && during.record.status === "in_progress") assert.equal(during.record.leaseUntil, T0 + 100_000);
    // and the holder can still complete after its heartbeats
    assert.equal(await store.heartbeat(c.claim, { now: T0 + 80_000, leaseMs: 60_000 }), true);
    assert.equal(await store.complete(c.claim, { value: "done", now: T0 + 85_000, ttlMs: 60_000 }), true);
  }));

  it("heartbeat(): racing the holder's own complete never fails the complete", withStore(async (store, key) => {
    const k = key();
    const c = await store.claim(k, claimRequest());
    if (c.outcome !== "claimed") throw new Error("expected a claim");
    const [beat, done] = await Promise.all([
      store.heartbeat(c.claim, { now: T0 + 1, leaseMs: 60_000 }),
      store.complete(c.claim, { value: "done", now: T0 + 2, ttlMs: 60_000 }),
    ]);
    assert.equal(done, true);
    assert.equal(typeof beat, "boolean");
    assert.equal((await store.get(k))?.status, "completed");
  }));

  it("claim(): an expired lease is taken over exactly once by 20 concurrent claimers", withStore(async (store, key) => {
    const k = key();
    const first = await store.claim(k, claimRequest());
    if (first.outcome !== "claimed") throw new Error("expected a claim");
    const results = await Promise.all(Array.from({ length: 20 }, () => store.claim(k, claimRequest(60_000))));
    const winners = results.filter((r) => r.outcome === "claimed");
    assert.equal(winners.length, 1);
    const w = winners[0]!;
    if (w.outcome !== "claimed") return;
    assert.equal(w.claim.attempt, 2);
    assert.equal(w.previous?.status, "in_progress");
    assert.equal(w.previous?.token, first.claim.token);
    for (const r of results) if (r.outcome === "existing") assert.equal(r.record.token, w.claim.token);
  }));

  it("claim(): a lease is live until the instant it ends", withStore(async (store, key) => {
    const k = key();
    await store.claim(k, claimRequest(0, { leaseMs: 1000 }));
    assert.equal((await store.claim(k, claimRequest(999))).outcome, "existing");
    assert.equal((await store.claim(k, claimRequest(1000))).outcome, "claimed");
  }));
}
