import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import {
  canonicalJson,
  createPolicyTable,
  deriveKey,
  fingerprint,
  idempotencyKey,
  isVolatileFieldName,
  resolvePolicy,
  selectIdentity,
} from "@agent-idempotency/core/internal";
import { IdempotencyKeyError, isoInstant, lowercase, number, trim } from "@agent-idempotency/core";

const shuffleKeys = (value: unknown, seed: number): unknown => {
  if (Array.isArray(value)) return value.map((v, i) => shuffleKeys(v, seed + i));
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    entries.sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 17 + seed) % 5) || (seed % 2 ? 1 : -1));
    return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, seed + 1)]));
  }
  return value;
};

describe("idempotencyKey()", () => {
  it("idempotencyKey(): matches the published test vector", () => {
    expect(
      idempotencyKey({
        action: "book_calendar",
        scope: "s-1",
        identity: { user_id: "u_1", calendar_id: "cal_9", slot: "2026-12-01T10:00:00Z" },
      }),
    ).toBe("263b8384b77be2a735f0e8ba6b59ea57");
  });

  it("idempotencyKey(): does not change with key order (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.integer(), (identity, seed) => {
        const a = idempotencyKey({ action: "t", scope: "s", identity });
        const b = idempotencyKey({ action: "t", scope: "s", identity: shuffleKeys(identity, seed) });
        expect(b).toBe(a);
      }),
    );
  });

  it("idempotencyKey(): does not change with whitespace or number spelling in the JSON the model wrote", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (identity) => {
        const compact = JSON.parse(JSON.stringify(identity));
        const pretty = JSON.parse(JSON.stringify(identity, null, 3));
        expect(idempotencyKey({ action: "t", scope: "s", identity: pretty })).toBe(idempotencyKey({ action: "t", scope: "s", identity: compact }));
      }),
    );
    const spellings: [string, string][] = [
      ['{"amount": 1.0}', '{"amount":1}'],
      ['{"amount": 1e3}', '{"amount":1000}'],
      ['{"amount": 1E+3 }', '{"amount":1000.000}'],
      ['{ "a" : [ 0.50 , -0 ] }', '{"a":[0.5,0]}'],
    ];
    for (const [a, b] of spellings) {
      expect(idempotencyKey({ action: "t", scope: "s", identity: JSON.parse(a) })).toBe(idempotencyKey({ action: "t", scope: "s", identity: JSON.parse(b) }));
    }
  });

  it("idempotencyKey(): does not change with fields outside the identity (property)", () => {
    const policy = resolvePolicy("book", { identity: ["user_id", "slot.start"] });
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.dictionary(fc.string().filter((k) => k !== "user_id" && k !== "slot"), fc.jsonValue()), (user, start, noise) => {
        const base = { user_id: user, slot: { start } };
        const a = deriveKey({ action: "book", args: base, sessionId: "s" }, policy).key;
        const b = deriveKey({ action: "book", args: { ...noise, ...base, slot: { start, note: noise } }, sessionId: "s" }, policy).key;
        expect(b).toBe(a);
      }),
    );
  });

  it("idempotencyKey(): calls that differ in identity, action or scope never share a key (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string(), fc.string(), (i1, i2, a1, a2, s1, s2) => {
        const k = (action: string, scope: string, identity: unknown) => idempotencyKey({ action, scope, identity });
        const same = (x: unknown, y: unknown) => JSON.stringify(shuffleKeys(x, 0)) === JSON.stringify(shuffleKeys(y, 0));
        if (!same(JSON.parse(JSON.stringify(i1)), JSON.parse(JSON.stringify(i2))) && fingerprint(i1) !== fingerprint(i2)) {
          expect(k(a1, s1, i1)).not.toBe(k(a1, s1, i2));
        }
        if (a1 !== a2) expect(k(a1, s1, i1)).not.toBe(k(a2, s1, i1));
        if (s1 !== s2) expect(k(a1, s1, i1)).not.toBe(k(a1, s2, i1));
      }),
    );
  });

  it("idempotencyKey(): is 32 lowercase hex characters", () => {
    expect(idempotencyKey({ action: "a", scope: "", identity: null })).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("selectIdentity()", () => {
  it("selectIdentity(): maps each field path to its value", () => {
    expect(selectIdentity({ user_id: "u", slot: { start: "s", end: "e" }, items: [{ id: 7 }] }, ["user_id", "slot.start", "items[0].id"], "t")).toEqual({
      user_id: "u",
      "slot.start": "s",
      "items[0].id": 7,
    });
  });

  it("selectIdentity(): a missing or undefined field throws IdempotencyKeyError naming it", () => {
    for (const args of [{ user_id: "u" }, { user_id: "u", slot: {} }, { user_id: "u", slot: { start: undefined } }, { user_id: "u", slot: null }]) {
      const run = () => selectIdentity(args, ["user_id", "slot.start"], "book_calendar");
      expect(run).toThrow(IdempotencyKeyError);
      expect(run).toThrow(/"slot.start" is missing/);
    }
  });

  it("selectIdentity(): null is a value, not a missing field", () => {
    expect(selectIdentity({ note: null }, ["note"], "t")).toEqual({ note: null });
  });

  it("selectIdentity(): uses a function's result, and refuses undefined", () => {
    expect(selectIdentity({ a: 1, b: 2 }, (a: { a: number }) => [a.a], "t")).toEqual([1]);
    expect(() => selectIdentity({}, () => undefined, "t")).toThrow(IdempotencyKeyError);
  });

  it("selectIdentity(): defaults to all arguments", () => {
    expect(selectIdentity({ a: 1 }, undefined, "t")).toEqual({ a: 1 });
  });
});

describe("normalizers", () => {
  it("trim/lowercase: make cosmetic spellings agree", () => {
    expect(lowercase(trim(" Ada@Example.COM ", "email"), "email")).toBe("ada@example.com");
    expect(lowercase("E\u0301", "x")).toBe(lowercase("\u00C9", "x"));
  });

  it("isoInstant: the same instant in any zone gives one string", () => {
    const want = "2026-12-01T10:00:00.000Z";
    for (const v of ["2026-12-01T11:00+01:00", "2026-12-01T10:00:00Z", "2026-12-01T05:00:00-05:00", "2026-12-01T10:00", "2026-12-01 10:00:00", Date.parse(want), new Date(want)]) {
      expect(isoInstant(v, "slot")).toBe(want);
    }
    expect(() => isoInstant("next tuesday", "slot")).toThrow(/slot: "next tuesday" is not an ISO 8601/);
  });

  it("number: numeric spellings agree, garbage is refused", () => {
    for (const v of [1000, "1000", " 1e3 ", "1,000", "1000.0"]) expect(number(v, "amount")).toBe(1000);
    expect(() => number("ten", "amount")).toThrow(IdempotencyKeyError);
    expect(() => trim(5, "name")).toThrow(/name: the trim normalizer expects a string/);
  });

  it("deriveKey(): normalizers apply before the key and the fingerprint", () => {
    const policy = resolvePolicy("invite", { identity: ["email", "at"], normalize: { email: (v, f) => lowercase(trim(v, f), f), at: isoInstant } });
    const a = deriveKey({ action: "invite", args: { email: " Ada@Example.com ", at: "2026-12-01T11:00+01:00" }, sessionId: "s" }, policy);
    const b = deriveKey({ action: "invite", args: { email: "ada@example.com", at: "2026-12-01T10:00:00Z" }, sessionId: "s" }, policy);
    expect(a.key).toBe(b.key);
    expect(a.fingerprint).toBe(b.fingerprint);
  });
});

describe("policy lint", () => {
  it("isVolatileFieldName(): flags names that change on every call", () => {
    for (const n of ["timestamp", "created_at", "request_id", "requestId", "nonce", "uuid", "meta.now", "trace_id", "ts", "sentAt", "X-Request-Id", "eventTimestamp"]) expect(isVolatileFieldName(n), n).toBe(true);
    for (const n of ["user_id", "slot.start", "amount", "calendar_id", "notes", "status", "amount_cents", "seats", "products", "known", "snowflake"]) expect(isVolatileFieldName(n), n).toBe(false);
  });

  it("createPolicyTable(): warns at configuration time about a volatile identity field", () => {
    const warn = vi.fn();
    createPolicyTable({ send_email: { identity: ["to", "timestamp"] }, book: { identity: ["user_id"] } }, {}, warn);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/send_email.*"timestamp" looks volatile/);
  });

  it("deriveKey(): refuses a call with no scope, and a malformed explicit key", () => {
    const policy = resolvePolicy("t", {});
    expect(() => deriveKey({ action: "t", args: {} }, policy)).toThrow(/no scope; pass sessionId/);
    expect(() => deriveKey({ action: "t", args: {}, sessionId: "s", key: "has space" }, policy)).toThrow(IdempotencyKeyError);
    expect(deriveKey({ action: "t", args: {}, sessionId: "s", key: "order-42" }, policy).key).toBe("order-42");
  });
});

describe("deriveKey() and idempotencyKey() agree", () => {
  it("deriveKey(): gives exactly idempotencyKey({ action, scope, identity }) for every identity form (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (args, action, scope) => {
        const all = deriveKey({ action, args, scope }, resolvePolicy(action, {}));
        expect(all.key).toBe(idempotencyKey({ action, scope, identity: args }));
        expect(all.fingerprint).toBe(fingerprint(args));
        const fn = deriveKey({ action, args, scope }, resolvePolicy(action, { identity: (a: object) => Object.keys(a).length }));
        expect(fn.key).toBe(idempotencyKey({ action, scope, identity: Object.keys(args).length }));
      }),
    );
  });

  it("deriveKey(): large arguments (hashed from one UTF-8 encoding) give the formula's key, fingerprint and size, non-ASCII included", () => {
    for (const [action, scope, filler] of [["book", "s-1", "a"], ["bücher_📚", "sitzung-é", "日本語 🎉 ü"], ["x", "\u0000\"q", "\u2028\\"]]) {
      const args = { notes: filler.repeat(5000), items: Array.from({ length: 50 }, (_, i) => ({ z: i, a: `${filler}${i}` })) };
      const d = deriveKey({ action, args, scope }, resolvePolicy("t", {}));
      expect(d.key).toBe(idempotencyKey({ action, scope, identity: args }));
      expect(d.fingerprint).toBe(fingerprint(args));
      expect(d.argsBytes).toBe(Buffer.byteLength(canonicalJson(args), "utf8"));
      expect(canonicalJson(args).length).toBeGreaterThan(4096);
    }
  });

  it("deriveKey(): key, fingerprint and size match the formula for any strings, escapes and lone surrogates included (property)", () => {
    const text = fc.string({ unit: "binary", minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(fc.dictionary(text, fc.oneof(text, fc.jsonValue())), text, text, (args, action, scope) => {
        let derived: ReturnType<typeof deriveKey> | Error;
        let formula: [string, string, number] | Error;
        try {
          derived = deriveKey({ action, args, scope }, resolvePolicy("t", {}));
        } catch (e) {
          derived = e as Error;
        }
        try {
          formula = [idempotencyKey({ action, scope, identity: args }), fingerprint(args), Buffer.byteLength(canonicalJson(args), "utf8")];
        } catch (e) {
          formula = e as Error;
        }
        if (formula instanceof Error) expect((derived as Error).message).toBe(formula.message);
        else expect([(derived as ReturnType<typeof deriveKey>).key, (derived as ReturnType<typeof deriveKey>).fingerprint, (derived as ReturnType<typeof deriveKey>).argsBytes]).toEqual(formula);
      }),
      { numRuns: 2000 },
    );
  });
});
