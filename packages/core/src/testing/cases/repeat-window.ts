import assert from "node:assert/strict";
import { claimRepeatWindow } from "../../live-detection.js";
import type { CaseContext } from "../conformance.js";
import { T0 } from "./util.js";

/**
 * Live detection's store side is the claim itself (a lease as long as the window, no retention),
 * so these cases only check that the store keeps the claim semantics it relies on.
 */
export function repeatWindowCases({ it, withStore }: CaseContext): void {
  it("claim(): a repeat window holds for its lease: another key sees its holder, the same key does not; then it is taken over", withStore(async (store) => {
    const at = (key: string, ms: number, turn?: string) =>
      claimRepeatWindow(store, { action: "send_email", fingerprint: "f".repeat(32), sessionId: "s-1", key, scope: `scope-${key}`, turn, now: T0 + ms, windowMs: 60_000 });
    assert.equal(await at("k1", 0, "1:aa"), undefined);
    assert.deepEqual(await at("k2", 10_000), { key: "k1", scope: "scope-k1", turn: "1:aa", executedAt: T0 });
    assert.equal(await at("k1", 20_000), undefined);
    assert.deepEqual(await at("k3", 59_999), { key: "k1", scope: "scope-k1", turn: "1:aa", executedAt: T0 });
    assert.equal(await at("k3", 60_000), undefined); // the window ended: k3 holds the next one
    assert.deepEqual((await at("k2", 70_000))?.key, "k3");
  }));
}
