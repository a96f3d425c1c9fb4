/**
 * "Never two different calls on one key", property-based, against an oracle that does not use
 * the library's canonicalizer (support/hostile.ts): for accepted arguments, two calls share a key
 * exactly when JSON delivers the same arguments. Through the engine: the second call replays iff
 * it is the same call; otherwise it runs.
 */
import { createIdempotency, isIdempotencyError, MemoryStore } from "@agent-idempotency/core";
import { idempotencyKey } from "@agent-idempotency/core/internal";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { faithful, faithfulWithToJSONKeys, hostile, objectOf, sameCall } from "./support/hostile.js";

/** Key of a call through a fresh engine, or undefined when refused (with a typed error). */
function keyOf(args: unknown, scope = "s-1", action = "book"): string | undefined {
  const idempotency = createIdempotency({ store: new MemoryStore(), tools: { [action]: true }, onWarning: () => undefined });
  try {
    return idempotency.deriveKey({ action, args, sessionId: scope })!.key;
  } catch (e) {
    if (!isIdempotencyError(e, "KEY_INVALID")) throw e;
    return undefined;
  }
}

/** A value with its object keys inserted in another order (same call, other spelling). */
function reordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reordered);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = Object.getPrototypeOf(v) === null ? Object.create(null) : {};
    for (const k of Object.keys(v).reverse()) Object.defineProperty(out, k, { value: reordered((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

describe("keys: never two different calls on one key", () => {
  it("idempotencyKey(): equal keys exactly when JSON delivers equal arguments (pairs of faithful values)", () => {
    fc.assert(
      fc.property(faithful, faithful, (a, b) => {
        expect(keyOf(a) === keyOf(b)).toBe(sameCall(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  it("idempotencyKey(): a value and a small mutation of it get different keys unless JSON cannot tell them apart", () => {
    // Pairs that are usually near each other: the same value with one leaf or one key changed.
    const mutated = faithful.chain((a) => fc.tuple(fc.constant(a), fc.oneof(fc.constant(a), faithful, fc.constant([a]), fc.constant({ v: a }), fc.constant(reordered(a)))));
    fc.assert(
      fc.property(mutated, ([a, b]) => {
        expect(keyOf(a) === keyOf(b)).toBe(sameCall(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  it("idempotencyKey(): key order and number spelling never change a key", () => {
    fc.assert(
      fc.property(faithful, (a) => {
        expect(keyOf(reordered(a))).toBe(keyOf(a));
        expect(keyOf(JSON.parse(JSON.stringify(a)))).toBe(keyOf(a));
      }),
      { numRuns: 2000 },
    );
  });

  it("idempotencyKey(): any two accepted hostile values that share a key are the same call for JSON", () => {
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        const ka = keyOf({ p: a });
        const kb = keyOf({ p: b });
        if (ka !== undefined && ka === kb) expect(sameCall({ p: a }, { p: b })).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("idempotencyKey(): the action, the scope and the identity are kept apart (no concatenation ambiguity)", () => {
    const part = fc.string({ maxLength: 6 });
    fc.assert(
      fc.property(part, part, part, part, faithful, faithful, (a1, a2, s1, s2, i1, i2) => {
        fc.pre(a1 !== "" && a2 !== "");
        const same = a1 === a2 && s1 === s2 && sameCall(i1, i2);
        expect(idempotencyKey({ action: a1, scope: s1, identity: i1 }) === idempotencyKey({ action: a2, scope: s2, identity: i2 })).toBe(same);
      }),
      { numRuns: 3000 },
    );
  });

  it("run(): through the engine, a second call replays exactly when it is the same call, else it runs", async () => {
    await fc.assert(
      fc.asyncProperty(faithful, faithful, async (a, b) => {
        const idempotency = createIdempotency({ store: new MemoryStore(), tools: { book: true }, onWarning: () => undefined });
        let runs = 0;
        const tool = () => ({ run: ++runs });
        await idempotency.run({ action: "book", args: { p: a }, sessionId: "s" }, tool);
        const second = await idempotency.run({ action: "book", args: { p: b }, sessionId: "s" }, tool);
        expect(second.replayed).toBe(sameCall(a, b));
        expect(runs).toBe(sameCall(a, b) ? 1 : 2);
      }),
      { numRuns: 1000 },
    );
  });

  // Found here: json-canonicalize treats any object with a non-null `toJSON` property as a leaf,
  // even when that property is plain data (a string from the model), and printed it in insertion
  // order, so key order changed the key. Core now serializes with its own RFC 8785 printer.
  it("idempotencyKey(): key order never changes a key, also for objects with a data property named toJSON", () => {
    expect(keyOf(objectOf([["toJSON", "x"], ["b", 1]]))).toBe(keyOf(objectOf([["b", 1], ["toJSON", "x"]])));
    fc.assert(fc.property(faithfulWithToJSONKeys, (a) => {
      expect(keyOf(reordered(a))).toBe(keyOf(a));
    }), { numRuns: 2000 });
  });
});
