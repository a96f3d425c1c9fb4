import { describe, expect, it } from "vitest";
import { canonicalJson, toStrictJson } from "@agent-idempotency/core/internal";
import { IdempotencyKeyError } from "@agent-idempotency/core";

describe("canonicalJson(): pinned outputs", () => {
  const table: [string, unknown, string][] = [
    ["sorts keys by UTF-16 code units", { b: 1, a: 2, B: 3, é: 4, "": 5 }, '{"":5,"B":3,"a":2,"b":1,"é":4}'],
    ["sorts nested keys and keeps array order", { z: [{ y: 1, x: 2 }, 3], a: { d: null, c: true } }, '{"a":{"c":true,"d":null},"z":[{"x":2,"y":1},3]}'],
    ["writes -0 as 0", { n: -0 }, '{"n":0}'],
    ["writes numbers the ECMAScript way", [1.0, 1e3, 1e21, 1e-7, 0.1, 123456789012345680000], "[1,1000,1e+21,1e-7,0.1,123456789012345680000]"],
    ["keeps unicode as is and escapes controls", { s: "Zoë 日本 🎉\n\u0001\"\\" }, '{"s":"Zoë 日本 🎉\\n\\u0001\\"\\\\"}'],
    ["drops undefined properties", { a: undefined, b: 1 }, '{"b":1}'],
    ["uses toJSON (Date)", { at: new Date(Date.UTC(2026, 11, 1, 10)) }, '{"at":"2026-12-01T10:00:00.000Z"}'],
    ["treats __proto__ as an ordinary key", JSON.parse('{"__proto__":{"x":1},"a":1}'), '{"__proto__":{"x":1},"a":1}'],
    ["accepts null-prototype objects", Object.assign(Object.create(null), { k: "v" }), '{"k":"v"}'],
    ["writes a top-level undefined as null", undefined, "null"],
    ["sorts index-like keys as strings", { "10": 1, "9": 2, a: 3 }, '{"10":1,"9":2,"a":3}'],
    ["sorts below index-like keys in order", { "1": { b: 1, a: 2 }, "2": 3 }, '{"1":{"a":2,"b":1},"2":3}'],
    ["sorts __proto__ out of order", JSON.parse('{"b":1,"__proto__":{"y":2,"x":1}}'), '{"__proto__":{"x":1,"y":2},"b":1}'],
    ["keeps __proto__ before a member that needs sorting", JSON.parse('{"__proto__":1,"a":{"d":1,"c":2}}'), '{"__proto__":1,"a":{"c":2,"d":1}}'],
    ["sorts objects inside arrays inside objects in order", [{ a: 1, b: { d: 1, c: [{ f: 2, e: 1 }] } }, "x"], '[{"a":1,"b":{"c":[{"e":1,"f":2}],"d":1}},"x"]'],
    ["drops undefined members while sorting", { b: undefined, c: { y: undefined, x: 2 }, a: 1 }, '{"a":1,"c":{"x":2}}'],
    ["prints a null toJSON member as data", { toJSON: null, a: 1 }, '{"a":1,"toJSON":null}'],
  ];
  for (const [title, input, output] of table) {
    it(`canonicalJson(): ${title}`, () => expect(canonicalJson(input)).toBe(output));
  }
});

describe("toStrictJson(): refuses what JSON cannot carry faithfully", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  class Point {
    constructor(public x = 1) {}
  }
  const refused: [string, unknown, RegExp][] = [
    ["a cycle", cyclic, /circular reference at self/],
    ["a BigInt", { n: 10n }, /BigInt at n/],
    ["NaN", { n: Number.NaN }, /NaN at n/],
    ["Infinity", { list: [1, Number.POSITIVE_INFINITY] }, /Infinity at list\[1\]/],
    ["a function", { f: () => 1 }, /function at f/],
    ["a symbol", { s: Symbol("x") }, /symbol at s/],
    ["a lone surrogate in a string", { s: "a\uD800b" }, /lone UTF-16 surrogate at s/],
    ["a lone surrogate in a key", { ["k\uDC00"]: 1 }, /lone UTF-16 surrogate/],
    ["a class instance without toJSON", { p: new Point() }, /instance of Point at p/],
    ["a Map", { m: new Map([["a", 1]]) }, /instance of Map at m/],
    ["a typed array", { t: new Uint8Array([1]) }, /instance of Uint8Array at t/],
    ["undefined inside an array", { a: [1, undefined] }, /undefined inside an array at a\[1\]/],
  ];
  for (const [title, input, message] of refused) {
    it(`toStrictJson(): refuses ${title} with IdempotencyKeyError`, () => {
      expect(() => toStrictJson(input)).toThrow(IdempotencyKeyError);
      expect(() => toStrictJson(input)).toThrow(message);
    });
  }

  it("toStrictJson(): shared (non-cyclic) references are fine", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it("toStrictJson(): a well-formed surrogate pair is fine", () => {
    expect(canonicalJson({ s: "\uD83C\uDF89" })).toBe('{"s":"🎉"}');
  });
});

describe("canonicalJson(): agrees with json-canonicalize, except where that library is wrong", () => {
  it("canonicalJson(): byte-identical to json-canonicalize for JSON without a toJSON key (property)", async () => {
    const { canonicalize } = await import("json-canonicalize");
    const fc = (await import("fast-check")).default;
    const noToJSON = (v: unknown): boolean =>
      Array.isArray(v) ? v.every(noToJSON) : v !== null && typeof v === "object" ? Object.entries(v).every(([k, x]) => k !== "toJSON" && noToJSON(x)) : true;
    fc.assert(
      fc.property(fc.jsonValue().filter(noToJSON), (v) => {
        expect(canonicalJson(v)).toBe(canonicalize(v));
      }),
      { numRuns: 2000 },
    );
  });

  it("canonicalJson(): byte-identical to json-canonicalize for objects with index-like, __proto__ and out-of-order keys (property)", async () => {
    const { canonicalize } = await import("json-canonicalize");
    const fc = (await import("fast-check")).default;
    const key = fc.oneof(fc.constantFrom("__proto__", "0", "1", "9", "10", "4294967295", "01", "a", "b", "B", "é", "", "𝑥"), fc.string({ maxLength: 4 }));
    const leaf = fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("value"), { maxLength: 4 }), tie("object")),
      // JSON.parse makes "__proto__" an own member, as a model's arguments would have it.
      object: fc.array(fc.tuple(key, tie("value")), { maxLength: 6 }).map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`)),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(canonicalize(v));
      }),
      { numRuns: 3000 },
    );
  });

  it("canonicalJson(): a data property named toJSON is sorted like any other key (json-canonicalize prints it as a leaf)", () => {
    expect(canonicalJson({ toJSON: "x", b: 1 })).toBe('{"b":1,"toJSON":"x"}');
    expect(canonicalJson({ b: 1, toJSON: "x" })).toBe('{"b":1,"toJSON":"x"}');
  });

  it("toStrictJson(): refuses sparse arrays, invalid Dates, deep nesting and throwing getters with IdempotencyKeyError", () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(() => canonicalJson({ seats: [1, , 3] })).toThrow(/hole in a sparse array at seats\[1\]/);
    expect(() => canonicalJson({ at: new Date(Number.NaN) })).toThrow(/invalid Date at at/);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(IdempotencyKeyError);
    const self = { toJSON() { return self; } };
    expect(() => canonicalJson({ x: self })).toThrow(IdempotencyKeyError);
    const getter = Object.defineProperty({}, "card", { enumerable: true, get() { throw new Error("no"); } });
    expect(() => canonicalJson(getter)).toThrow(IdempotencyKeyError);
    const proxy = new Proxy({}, { ownKeys() { throw new Error("trap"); } });
    expect(() => canonicalJson({ p: proxy })).toThrow(IdempotencyKeyError);
  });
});
