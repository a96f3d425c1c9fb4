/**
 * Hostile arguments through the whole engine (`createIdempotency().run`): each input is keyed
 * deterministically (and the retry replays), or refused with a typed error before the tool runs;
 * never a crash, never a tool run on an input that cannot be keyed.
 */
import { createIdempotency, isIdempotencyError, MemoryStore, type ErrorCode } from "@agent-idempotency/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hostile, objectOf } from "./support/hostile.js";

type Outcome = { key: string; replayedKey: string; runs: number } | { code: ErrorCode | "UNTYPED"; name: string; runs: number };

/** Runs `args` twice through a fresh engine; says how it went and how often the tool ran. */
async function twice(args: unknown, options: { maxRecordBytes?: number; key?: string; sessionId?: string } = {}): Promise<Outcome> {
  const idempotency = createIdempotency({ store: new MemoryStore(), tools: { book: true }, onWarning: () => undefined, maxRecordBytes: options.maxRecordBytes });
  let runs = 0;
  const call = { action: "book", args, sessionId: options.sessionId ?? "s-1", key: options.key };
  const tool = () => ({ booking: ++runs });
  try {
    const first = await idempotency.run(call, tool);
    const again = await idempotency.run(call, tool);
    expect(again.replayed).toBe(true);
    expect(again.value).toEqual(first.value);
    return { key: first.key!, replayedKey: again.key!, runs };
  } catch (e) {
    return { code: isIdempotencyError(e) ? e.code : "UNTYPED", name: String((e as Error)?.name), runs };
  }
}

function deep(depth: number, array: boolean): unknown {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = array ? [v] : { a: v };
  return v;
}

const throwingGetter = Object.defineProperty({}, "card", { enumerable: true, get: () => { throw new Error("getter"); } });
const selfToJSON = { toJSON() { return this; } };
const proxy = new Proxy({}, { ownKeys: () => { throw new Error("trap"); } });

describe("run(): hostile arguments, property-based", () => {
  it("run(): any hostile value is keyed deterministically (the retry replays) or refused with a typed error before the tool runs", async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (args) => {
        const out = await twice({ payload: args });
        if ("code" in out) {
          expect(out.code).not.toBe("UNTYPED");
          expect(out.runs).toBe(0);
        } else {
          expect(out.key).toMatch(/^[0-9a-f]{32}$/);
          expect(out.replayedKey).toBe(out.key);
          expect(out.runs).toBe(1);
          // The key is a pure function of the input: a fresh engine derives the same one.
          const again = await twice({ payload: args });
          expect("key" in again ? again.key : "").toBe(out.key);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

/** Inputs from the issue, one by one: what each must do. */
const cases: { name: string; args: () => unknown; expected: "keyed" | ErrorCode; sameKeyAs?: () => unknown; otherKeyThan?: () => unknown }[] = [
  { name: "a __proto__ key (data, not a prototype)", args: () => objectOf([["__proto__", { admin: true }]]), expected: "keyed", otherKeyThan: () => ({}) },
  { name: "constructor and prototype keys", args: () => ({ constructor: "x", prototype: { polluted: 1 } }), expected: "keyed", otherKeyThan: () => ({}) },
  { name: "a lone high surrogate in a value", args: () => ({ name: "\uD83D" }), expected: "KEY_INVALID" },
  { name: "a lone low surrogate in a key", args: () => ({ "\uDE00": 1 }), expected: "KEY_INVALID" },
  { name: "-0 (JSON has one zero)", args: () => ({ n: -0 }), expected: "keyed", sameKeyAs: () => ({ n: 0 }) },
  { name: "Number.MAX_VALUE", args: () => ({ n: Number.MAX_VALUE }), expected: "keyed", otherKeyThan: () => ({ n: 1.7976931348623155e308 }) },
  { name: "2^53 + 2 (an unsafe integer)", args: () => ({ n: 2 ** 53 + 2 }), expected: "keyed", otherKeyThan: () => ({ n: 2 ** 53 }) },
  { name: "1e21 and 1e-7 (exponent spelling)", args: () => ({ a: 1e21, b: 1e-7 }), expected: "keyed", sameKeyAs: () => ({ b: 0.0000001, a: 1000000000000000000000 }) },
  { name: "NaN", args: () => ({ n: Number.NaN }), expected: "KEY_INVALID" },
  { name: "-Infinity", args: () => ({ n: -Infinity }), expected: "KEY_INVALID" },
  { name: "a BigInt", args: () => ({ cents: 10n ** 30n }), expected: "KEY_INVALID" },
  { name: "a cycle", args: () => { const o: Record<string, unknown> = {}; o.me = o; return o; }, expected: "KEY_INVALID" },
  { name: "a cycle through an array", args: () => { const a: unknown[] = []; a.push({ a }); return { a }; }, expected: "KEY_INVALID" },
  { name: "the same object twice (a DAG, not a cycle)", args: () => { const s = { x: 1 }; return { a: s, b: s }; }, expected: "keyed", sameKeyAs: () => ({ a: { x: 1 }, b: { x: 1 } }) },
  { name: "undefined inside an array", args: () => ({ items: [1, undefined, 3] }), expected: "KEY_INVALID" },
  { name: "an undefined property (absent)", args: () => ({ a: 1, b: undefined }), expected: "keyed", sameKeyAs: () => ({ a: 1 }) },
  { name: "a Date (its instant)", args: () => ({ at: new Date("2026-12-01T10:00:00+02:00") }), expected: "keyed", sameKeyAs: () => ({ at: "2026-12-01T08:00:00.000Z" }) },
  { name: "a Map", args: () => ({ m: new Map([["a", 1]]) }), expected: "KEY_INVALID" },
  { name: "a Set", args: () => ({ s: new Set([1]) }), expected: "KEY_INVALID" },
  { name: "a Uint8Array", args: () => ({ bytes: new Uint8Array([1, 2, 3]) }), expected: "KEY_INVALID" },
  { name: "a Float64Array", args: () => ({ v: new Float64Array([0.5]) }), expected: "KEY_INVALID" },
  { name: "an ArrayBuffer", args: () => ({ b: new ArrayBuffer(8) }), expected: "KEY_INVALID" },
  { name: "a function", args: () => ({ f: () => 1 }), expected: "KEY_INVALID" },
  { name: "a boxed string", args: () => ({ s: Object("x") }), expected: "KEY_INVALID" },
  { name: "a class instance", args: () => ({ e: new Error("x") }), expected: "KEY_INVALID" },
  { name: "a null-prototype object", args: () => objectOf([["a", 1]], true), expected: "keyed", sameKeyAs: () => ({ a: 1 }) },
  { name: "1000 levels of nesting", args: () => deep(1000, false), expected: "keyed" },
];

describe("run(): the hostile inputs the issue lists", () => {
  it.each(cases)("run(): $name → $expected", async (c) => {
    const out = await twice(c.args());
    if (c.expected === "keyed") {
      expect(out).toMatchObject({ runs: 1 });
      const key = (out as { key: string }).key;
      if (c.sameKeyAs) expect((await twice(c.sameKeyAs())) as { key: string }).toMatchObject({ key });
      if (c.otherKeyThan) expect(((await twice(c.otherKeyThan())) as { key: string }).key).not.toBe(key);
    } else {
      expect(out).toEqual({ code: c.expected, name: expect.stringMatching(/^Idempotency/), runs: 0 });
    }
  });

  it("run(): a hostile scope or explicit key is refused with KEY_INVALID, never used", async () => {
    expect(await twice({ a: 1 }, { sessionId: "\uDC00" })).toMatchObject({ code: "KEY_INVALID", runs: 0 });
    expect(await twice({ a: 1 }, { sessionId: "" })).toMatchObject({ code: "KEY_INVALID", runs: 0 });
    for (const key of ["has space", "new\nline", "", "k".repeat(201), "ключ", "a\u0000b"]) {
      expect(await twice({ a: 1 }, { key })).toMatchObject({ code: "KEY_INVALID", runs: 0 });
    }
  });
});

/**
 * Found by this suite and fixed in core's canonical.ts: each of these inputs used to escape as an
 * untyped error (a crash, for the agent) or land on another call's key.
 */
describe("run(): hostile inputs that once escaped the strict walk", () => {
  // The walk recursed until the stack overflowed (RangeError); nesting is now capped (MAX_DEPTH).
  it.each([
    ["10 000 levels of objects", () => deep(10_000, false)],
    ["100 000 levels of arrays", () => deep(100_000, true)],
    ["a toJSON() that returns its own object (unbounded)", () => ({ x: selfToJSON })],
  ])("run(): %s is refused with KEY_INVALID (a depth limit), not a RangeError", async (_name, args) => {
    expect(await twice(args())).toMatchObject({ code: "KEY_INVALID", runs: 0 });
  });

  // A hole in a sparse array vanishes: [1, , 3] is keyed as [1, 3] (Array.prototype.map keeps
  // holes, json-canonicalize skips them), while [1, undefined, 3] is refused.
  it("run(): a sparse array is refused (like undefined in an array), not keyed as the array without its holes", async () => {
    // eslint-disable-next-line no-sparse-arrays
    const holes = await twice({ seats: [1, , 3] });
    const dense = await twice({ seats: [1, 3] });
    expect("code" in holes ? holes.code : (holes as { key: string }).key === (dense as { key: string }).key ? "SAME_KEY_AS_[1,3]" : "keyed").toBe("KEY_INVALID");
  });

  // new Date(NaN).toJSON() is null, so an invalid date shares the key of `null`: the lossy merge
  // canonical.ts refuses for NaN itself.
  it("run(): an Invalid Date is refused, not keyed as null", async () => {
    expect(await twice({ at: new Date(Number.NaN) })).toMatchObject({ code: "KEY_INVALID", runs: 0 });
  });

  // A getter, toJSON or Proxy trap that throws escapes raw instead of as IdempotencyKeyError { cause }.
  it.each([
    ["a getter that throws", () => ({ card: throwingGetter })],
    ["a toJSON() that throws", () => ({ x: { toJSON: () => { throw new Error("toJSON"); } } })],
    ["a Proxy whose ownKeys trap throws", () => ({ p: proxy })],
  ])("run(): %s is refused with a typed error", async (_name, args) => {
    expect(await twice(args())).toMatchObject({ code: "KEY_INVALID", runs: 0 });
  });
});
