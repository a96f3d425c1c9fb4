import assert from "node:assert/strict";
import type { CaseContext } from "../conformance.js";
import { claimRequest, T0 } from "./util.js";

export function claimCases({ it, withStore }: CaseContext): void {
  it("claim(): an absent key is claimed with attempt 1 and a token", withStore(async (store, key) => {
    const k = key();
    const r = await store.claim(k, claimRequest());
    assert.equal(r.outcome, "claimed");
    if (r.outcome !== "claimed") return;
    assert.equal(r.claim.key, k);
    assert.equal(r.claim.attempt, 1);
    assert.ok(r.claim.token.length >= 8);
    assert.equal(r.previous, undefined);
    assert.equal(r.claim.record.status, "in_progress");
    assert.equal(r.claim.record.leaseUntil, T0 + 60_000);
  }));

  it("claim(): returns the in_progress record while the lease is live", withStore(async (store, key) => {
    const k = key();
    const first = await store.claim(k, claimRequest());
    const second = await store.claim(k, claimRequest(59_999, { scope: "scope-b", fingerprint: "0".repeat(32) }));
    assert.equal(second.outcome, "existing");
    if (second.outcome !== "existing" || first.outcome !== "claimed") return;
    assert.equal(second.record.status, "in_progress");
    assert.equal(second.record.token, first.claim.token);
    assert.equal(second.record.scope, "scope-a");
    assert.equal(second.record.fingerprint, "f".repeat(32));
  }));

  it("claim(): 50 concurrent claims on one key give exactly one claimed", withStore(async (store, key) => {
    const k = key();
    const results = await Promise.all(Array.from({ length: 50 }, () => store.claim(k, claimRequest())));
    assert.equal(results.filter((r) => r.outcome === "claimed").length, 1);
    assert.equal(results.filter((r) => r.outcome === "existing").length, 49);
  }));

  it("claim(): different keys are independent", withStore(async (store, key) => {
    const a = await store.claim(key("a"), claimRequest());
    const b = await store.claim(key("b"), claimRequest());
    assert.equal(a.outcome, "claimed");
    assert.equal(b.outcome, "claimed");
  }));

  it("claim(): with takeover false an expired lease comes back untouched", withStore(async (store, key) => {
    const k = key();
    const first = await store.claim(k, claimRequest());
    const again = await store.claim(k, claimRequest(60_001, { takeover: false }));
    assert.equal(again.outcome, "existing");
    if (again.outcome !== "existing" || first.outcome !== "claimed") return;
    assert.equal(again.record.token, first.claim.token);
    assert.equal(again.record.attempt, 1);
  }));

  it("claim(): a record past its retention is replaced as if the key were free", withStore(async (store, key) => {
    const k = key();
    const first = await store.claim(k, claimRequest());
    assert.equal(first.outcome, "claimed");
    if (first.outcome !== "claimed") return;
    assert.equal(await store.complete(first.claim, { value: 1, now: T0 + 10, ttlMs: 1000 }), true);
    const live = await store.claim(k, claimRequest(1009));
    assert.equal(live.outcome, "existing");
    const after = await store.claim(k, claimRequest(1010));
    assert.equal(after.outcome, "claimed");
    if (after.outcome !== "claimed") return;
    assert.equal(after.claim.attempt, 1);
    assert.equal(after.previous?.status, "completed");
  }));

  it("get(): reads without side effects", withStore(async (store, key) => {
    const k = key();
    assert.equal(await store.get(k), undefined);
    assert.equal(await store.get(k), undefined);
    const first = await store.claim(k, claimRequest());
    assert.equal(first.outcome, "claimed");
    const a = await store.get(k);
    const b = await store.get(k);
    assert.equal(a?.status, "in_progress");
    assert.deepEqual(a, b);
    // get() neither claims nor extends: the lease still expires at T0 + 60 s
    const later = await store.claim(k, claimRequest(60_000, { takeover: false }));
    assert.equal(later.outcome, "existing");
    if (later.outcome === "existing" && later.record.status === "in_progress") assert.equal(later.record.leaseUntil, T0 + 60_000);
  }));

  it("get(): returns an expired record instead of deleting it", withStore(async (store, key) => {
    const k = key();
    const first = await store.claim(k, claimRequest());
    if (first.outcome !== "claimed") throw new Error("expected a claim");
    await store.complete(first.claim, { value: "v", now: T0, ttlMs: 1 });
    const rec = await store.get(k);
    assert.equal(rec?.status, "completed");
  }));

  it("close(): may be called twice", withStore(async (store) => {
    await store.close();
    await store.close();
  }));
}
