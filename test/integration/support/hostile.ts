/**
 * Arbitraries for hostile tool arguments, and the oracle the key properties are checked against.
 *
 * The oracle is independent of the library's canonicalizer: two accepted argument values mean
 * the same call exactly when `JSON.parse(JSON.stringify(x))` gives deep-equal values (key order
 * ignored). That is what an upstream API receiving the arguments as JSON would see. The library
 * refuses what JSON would carry lossily (NaN, `[undefined]`, Map, BigInt, …), so for accepted
 * values the oracle is exact.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";

/** Any UTF-16 code unit, lone surrogates included (fast-check's "binary" unit never makes them). */
export const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));

/** Strings of arbitrary code units: lone surrogates, NUL, control characters, quotes. */
export const rawString = fc.string({ unit: codeUnit, maxLength: 12 });

/** Property names that have meant trouble: prototype pollution, JSON/JS specials. */
export const nastyKey = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "toJSON", "", " ", "a.b", "[0]", "\u0000", "\uD800", "é", "e\u0301");

/** Numbers at the edges: -0, huge, tiny, unsafe integers, NaN and the infinities. */
export const edgeNumber = fc.oneof(
  fc.constantFrom(-0, 0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e-7, 0.1 + 0.2, NaN, Infinity, -Infinity),
  fc.double(),
  fc.integer(),
);

/** Builds an object with own enumerable properties exactly as given (`__proto__` stays data). */
export function objectOf(entries: readonly (readonly [string, unknown])[], nullPrototype = false): Record<string, unknown> {
  const o: Record<string, unknown> = nullPrototype ? Object.create(null) : {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/**
 * Values JSON can carry faithfully (no sparse arrays, no toJSON methods, no lossy numbers).
 * `dataKeys` are extra property names to mix in.
 */
function faithfulWith(dataKeys: fc.Arbitrary<string>) {
  return fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53)),
      fc.string({ unit: "grapheme", maxLength: 8 }),
      fc.array(tie("value"), { maxLength: 4 }),
      fc
        .tuple(fc.uniqueArray(fc.oneof(fc.string({ maxLength: 6 }), dataKeys), { maxLength: 4 }), fc.array(tie("value"), { maxLength: 4 }), fc.boolean())
        .map(([keys, values, nullProto]) => objectOf(keys.map((k, i) => [k, values[i % Math.max(1, values.length)] ?? null] as const), nullProto)),
    ),
  })).value;
}

/** Faithful values whose objects also use the nasty keys (lone surrogates aside: those are refused). */
export const faithful = faithfulWith(nastyKey.filter((k) => !/[\uD800-\uDFFF]/.test(k)));

/**
 * Faithful values with `toJSON` data keys in most objects: json-canonicalize printed such objects
 * unsorted, so their key order changed the key (found by key-injectivity.test.ts; core now prints
 * RFC 8785 itself).
 */
export const faithfulWithToJSONKeys = faithfulWith(fc.constantFrom("toJSON", "__proto__", "constructor"));

/** Everything else too: what a model, a bug or an attacker might put into tool arguments. */
export const hostile: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    faithful,
    rawString,
    edgeNumber,
    fc.bigInt(),
    fc.constantFrom(undefined, Symbol("s"), () => 1, new Date(0), new Date(Number.NaN), new Map([[1, 2]]), new Set([1]), new WeakMap(), /re/g, new Error("e")),
    fc.constantFrom(new Uint8Array([1, 2]), new Float64Array([0.5]), new ArrayBuffer(4), new DataView(new ArrayBuffer(2)), Buffer.from("hi")),
    fc.constantFrom(Object(1), Object("s"), Object(true)),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.tuple(fc.array(fc.oneof(rawString, nastyKey), { maxLength: 4 }), fc.array(tie("value"), { maxLength: 4 }), fc.boolean()).map(([keys, values, np]) =>
      objectOf(keys.map((k, i) => [k, values[i % Math.max(1, values.length)]] as const), np),
    ),
    tie("value").map((v) => {
      // a cycle through an object and an array
      const o: Record<string, unknown> = { v };
      o.self = [o];
      return o;
    }),
  ),
})).value;

/** The oracle: what JSON delivers of an accepted value, compared with key order ignored. */
export function sameCall(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(jsonForm(a), jsonForm(b));
}

function jsonForm(v: unknown): unknown {
  const json = JSON.stringify(v);
  return json === undefined ? null : plain(JSON.parse(json));
}

/** Null-prototype copies differ from plain ones only in prototype: normalise for the comparison. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return objectOf(Object.entries(v).map(([k, x]) => [k, plain(x)] as const));
  return v;
}
