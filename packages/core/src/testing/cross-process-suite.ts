/**
 * Issue 3's cross-process acceptance as one call per backend, like the conformance suite:
 *
 * ```ts
 * describeCrossProcessRace("RedisStore", (mode) => ({ module: distUrl, export: "RedisStore", options: { url, prefix: `race-${mode}` } }), { test: { describe, it } });
 * ```
 *
 * Four cases, each forking real processes behind a barrier (see {@link crossProcessRace}): every
 * key claimed by processes x concurrency racers has exactly one winner; the same on keys whose
 * lease just expired, and the stale holders' `complete` returns false; `run()` calls of one
 * logical action from every process run its side effect once, all resolving to its value; and
 * calls of one action under as many different keys, with live detection refusing repeats, run
 * once in all (the repeat window is claimed through the store's own atomic claim).
 */
import assert from "node:assert/strict";
import type { CrossProcessMode, StoreSpec } from "./cross-process.js";
import { crossProcessRace } from "./cross-process.js";
import type { TestApi } from "./harness.js";
import { globalTestApi } from "./harness.js";

/** Options of {@link describeCrossProcessRace}: the test API, and the size and timeout of each race. */
export interface CrossProcessSuiteOptions {
  /** The framework's `describe`/`it`; default: the globals. */
  test?: TestApi;
  /** Worker processes per race (default 4). */
  processes?: number;
  /** Concurrent calls in each process (default 50). */
  concurrency?: number;
  /** Keys raced in the claim and take-over races (default 100); the `run()` races use one. */
  keys?: number;
  /** Per-case timeout in ms (default 180 000: a loaded 2-core machine needs it). */
  timeoutMs?: number;
}


/** Registers the four cross-process races under `describe(name)`. `store(mode)` gives each its own objects. */
export function describeCrossProcessRace(name: string, store: (mode: CrossProcessMode) => StoreSpec, options: CrossProcessSuiteOptions = {}): void {
  const test = options.test ?? globalTestApi("describeCrossProcessRace");
  const { processes = 4, concurrency = 50, keys = 100, timeoutMs = 180_000 } = options;
  const race = (mode: CrossProcessMode) => crossProcessRace({ store: store(mode), mode, processes, concurrency, keys });
  const everyKeyOnce = Array<number>(keys).fill(1);

  test.describe(`${name}: cross-process race`, () => {
    test.it(`claim(): ${processes} processes x ${concurrency} concurrent claims on each of ${keys} keys: exactly one winner per key`, async () => {
      const r = await race("claim");
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.winnersPerKey, everyKeyOnce);
    }, timeoutMs);

    test.it(`claim(): an expired lease on each of ${keys} keys is taken over exactly once; the stale holders' complete returns false`, async () => {
      const r = await race("takeover");
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.winnersPerKey, everyKeyOnce);
      assert.equal(r.staleCompletes, 0);
    }, timeoutMs);

    test.it(`run(): ${processes} processes x ${concurrency} calls of one logical action: the side effect runs once, all get its value`, async () => {
      const r = await race("engine");
      assert.deepEqual(r.errors, []);
      assert.equal(r.effects, 1);
      assert.equal(r.distinctValues, 1);
    }, timeoutMs);

    test.it(`run(): ${processes} processes x ${concurrency} calls of one action under as many keys, liveDetection "refuse": it runs once, every other call is refused`, async () => {
      const r = await race("live");
      assert.deepEqual(r.errors, []);
      assert.equal(r.effects, 1);
      assert.equal(r.refused, processes * concurrency - 1);
    }, timeoutMs);
  });
}
