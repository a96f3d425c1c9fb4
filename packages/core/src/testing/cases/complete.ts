import assert from "node:assert/strict";
import type { CaseContext } from "../conformance.js";
import { claimRequest, T0, TRICKY_VALUE } from "./util.js";

export function completeCases({ it, withStore, harness }: CaseContext): void {
  it("complete(): a completed record replays the identical result", withStore(async (store, key) => {
    const k = key();
    const c = await store.claim(k, claimRequest());
    if (c.outcome !== "claimed") throw new Error("expected a claim");
    assert.equal(await store.complete(c.claim, { value: TRICKY_VALUE, responseId: "b_1", now: T0 + 5, ttlMs: 3_600_000 }), true);
    const again = await store.claim(k, claimRequest(10));
    assert.equal(again.outcome, "existing");
    if (again.outcome !== "existing" || again.record.status !== "completed") throw new Error("expected a completed record");
    assert.deepEqual(again.record.value, TRICKY_VALUE);
    assert.equal(again.record.responseId, "b_1");
    assert.equal(again.record.completedAt, T0 + 5);
    assert.equal(again.record.expiresAt, T0 + 5 + 3_600_000);
    assert.equal(again.record.token, c.claim.token);
    const got = await store.get(k);
    assert.deepEqual(got, again.record);
  }));

  it("complete(): an undefined result round-trips as undefined", withStore(async (store, key) => {
    const k = key();
    const c = await store.claim(k, claimRequest());
    if (c.outcome !== "claimed") throw new Error("expected a claim");
    assert.equal(await store.complete(c.claim, { value: undefined, now: T0, ttlMs: 60_000 }), true);
    const rec = await store.get(k);
    assert.equal(rec?.status, "completed");
    if (rec?.status === "completed") assert.equal(rec.value, undefined);
  }));

  it("complete(): a second complete of the same claim returns false", withStore(async (store, key) => {
    const k = key();
    const c = await store.claim(k, claimRequest());
    if (c.outcome !== "claimed") throw new Error("expected a claim");
    assert.equal(await store.complete(c.claim, { value: 1, now: T0, ttlMs: 60_000 }), true);
    assert.equal(await store.complete(c.claim, { value: 2, now: T0, ttlMs: 60_000 }), false);
    const rec = await store.get(k);
    if (rec?.status === "completed") assert.equal(rec.value, 1);
    else assert.fail("expected a completed record");
  }));

  it("fail(): records the error, and claim returns it", withStore(async (store, key) => {
    const k = key();
    const c = await store.claim(k, claimRequest());
    if (c.outcome !== "claimed") throw new Error("expected a claim");
    const error = { name: "CardDeclined", message: "card declined", code: "card_declined" };
    assert.equal(await store.fail(c.claim, { error, now: T0, ttlMs: 60_000 }), true);
    const again = await store.claim(k, claimRequest(1));
    if (again.outcome !== "existing" || again.record.status !== "failed") throw new Error("expected a failed record");
    assert.deepEqual(again.record.error, error);
  }));

  it("release(): deletes the claim, and the next claim starts at attempt 1", withStore(async (store, key) => {
    const k = key();
    const c = await store.claim(k, claimRequest());
    if (c.outcome !== "claimed") throw new Error("expected a claim");
    assert.equal(await store.release(c.claim), true);
    assert.equal(await store.get(k), undefined);
    const again = await store.claim(k, claimRequest(1));
    assert.equal(again.outcome, "claimed");
    if (again.outcome === "claimed") assert.equal(again.claim.attempt, 1);
    assert.equal(await store.release(c.claim), false);
  }));

  it("complete()/fail()/release()/heartbeat(): a stale token can change nothing", withStore(async (store, key) => {
    const k = key();
    const old = await store.claim(k, claimRequest());
    if (old.outcome !== "claimed") throw new Error("expected a claim");
    const next = await store.claim(k, claimRequest(60_000));
    if (next.outcome !== "claimed") throw new Error("expected a take-over");
    assert.equal(await store.heartbeat(old.claim, { now: T0 + 60_001, leaseMs: 60_000 }), false);
    assert.equal(await store.complete(old.claim, { value: "stale", now: T0 + 60_002, ttlMs: 60_000 }), false);
    assert.equal(await store.fail(old.claim, { error: { name: "E", message: "stale" }, now: T0 + 60_003, ttlMs: 60_000 }), false);
    assert.equal(await store.release(old.claim), false);
    const rec = await store.get(k);
    assert.equal(rec?.status, "in_progress");
    assert.equal(rec?.token, next.claim.token);
    assert.equal(rec?.attempt, 2);
    assert.equal(await store.complete(next.claim, { value: "fresh", now: T0 + 60_010, ttlMs: 60_000 }), true);
    const done = await store.get(k);
    if (done?.status === "completed") assert.equal(done.value, "fresh");
    else assert.fail("expected the newer holder's result");
  }));

  if (harness.openKeyv) {
    const openKeyv = harness.openKeyv;
    it("keyv: a record claimed through the raw client is readable through the Keyv adapter", withStore(async (store, key, namespace) => {
      const k = key();
      const c = await store.claim(k, claimRequest());
      if (c.outcome !== "claimed") throw new Error("expected a claim");
      await store.complete(c.claim, { value: TRICKY_VALUE, responseId: "b_1", now: Date.now(), ttlMs: 3_600_000 });
      const keyv = await openKeyv(store, { namespace });
      try {
        const rec = (await keyv.get(k)) as { status?: string; value?: unknown } | undefined;
        assert.equal(rec?.status, "completed");
        assert.deepEqual(rec?.value, TRICKY_VALUE);
      } finally {
        await keyv.disconnect?.();
      }
    }));
  }
}
