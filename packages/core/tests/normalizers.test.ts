import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  asSet,
  boolean,
  collapseWhitespace,
  compose,
  createIdempotency,
  each,
  IdempotencyKeyError,
  IdempotencyPolicyError,
  lowercase,
  MemoryStore,
  minorUnits,
  nfc,
  normalizers,
  trim,
  sortedBy,
  unordered,
} from "@agent-idempotency/core";
import type { Normalizer } from "@agent-idempotency/core";
import { e164 } from "@agent-idempotency/core/phone";

/** Every spelling gives the same value. */
function sameValue(fn: Normalizer, spellings: unknown[]): unknown {
  const out = spellings.map((s) => fn(s, "f"));
  for (const o of out) expect(o).toEqual(out[0]);
  return out[0];
}

/** The normalizer refuses `value` with an IdempotencyKeyError whose field is `field`. */
function refuses(fn: Normalizer, value: unknown, field = "args.f"): IdempotencyKeyError {
  let thrown: unknown;
  try {
    fn(value, field);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `${fn.name} should refuse ${JSON.stringify(value)}`).toBeInstanceOf(IdempotencyKeyError);
  expect((thrown as IdempotencyKeyError).field).toMatch(new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")}`));
  expect((thrown as Error).message).toContain(field);
  return thrown as IdempotencyKeyError;
}

describe("normalizers called on their own", () => {
  it("a built-in called without a field name (from JavaScript) names the field \"value\" in its error, never \"undefined\"", () => {
    const alone = (fn: Normalizer, value: unknown) => {
      try {
        (fn as (value: unknown) => unknown)(value);
      } catch (e) {
        return e as IdempotencyKeyError;
      }
      throw new Error(`${fn.name} should refuse ${JSON.stringify(value)}`);
    };
    for (const [fn, value] of [[normalizers.isoInstant, "next tuesday"], [normalizers.trim, 42], [normalizers.number, "ten"], [compose(trim, lowercase), 1], [each(trim), [1]], [minorUnits("EUR"), "ten euros"]] as const) {
      const e = alone(fn, value);
      expect(e.message, fn.name).toMatch(/^\[agent-idempotency\] value(\[0\])?: /);
      expect(e.message, fn.name).not.toContain("undefined");
    }
  });
});

describe("string normalizers", () => {
  it("nfc(): composed and decomposed forms agree; case and spacing are kept", () => {
    expect(sameValue(nfc, ["Cafe\u0301 Rene\u0301", "Café René"])).toBe("Café René");
    expect(nfc("  Zoë ", "f")).toBe("  Zoë ");
    expect(nfc("ZOË", "f")).not.toBe(nfc("zoë", "f"));
    refuses(nfc, 42);
    refuses(nfc, null);
  });

  it("collapseWhitespace(): runs of spaces, tabs, newlines and no-break spaces become one space; Unicode form is kept", () => {
    expect(sameValue(collapseWhitespace, ["Quarterly review", "Quarterly  review\n", " Quarterly\t\treview ", "Quarterly\u00a0review\r\n\r\n"])).toBe("Quarterly review");
    expect(collapseWhitespace("Cafe\u0301", "f")).toBe("Cafe\u0301");
    expect(collapseWhitespace("a b", "f")).not.toBe(collapseWhitespace("ab", "f"));
    refuses(collapseWhitespace, ["a"]);
  });

  it("compose(nfc, collapseWhitespace): both, in order, and named for explainKey", () => {
    const text = compose(nfc, collapseWhitespace);
    expect(sameValue(text, ["Cafe\u0301  meeting\n", "Café meeting"])).toBe("Café meeting");
    expect(text.name).toBe("nfc+collapseWhitespace");
  });
});

describe("boolean", () => {
  it("boolean(): the common spellings, in any case and with spaces", () => {
    expect(sameValue(boolean, [true, "true", "TRUE", " yes ", "Y", "t", "on", "1", 1])).toBe(true);
    expect(sameValue(boolean, [false, "false", "False", "no", "N", "f", "OFF", "0", 0])).toBe(false);
  });

  it("boolean(): refuses what is neither, naming the field", () => {
    for (const v of ["", "maybe", "2", "yes please", 2, null, {}, []]) refuses(boolean, v, "send_invites");
  });
});

describe("array normalizers", () => {
  const emails = ["ada@x.com", "bob@x.com", "cy@x.com", "dee@x.com"];

  it("asSet(): every permutation, with or without repeats, is one set; other elements are another", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(emails, { minLength: 4, maxLength: 4 }), fc.array(fc.constantFrom(...emails), { maxLength: 3 }), (perm, repeats) => {
        expect(asSet([...perm, ...repeats], "to")).toEqual([...emails].sort());
      }),
    );
    expect(asSet(["a", "b"], "to")).not.toEqual(asSet(["a", "c"], "to"));
    expect(asSet([{ id: 2 }, { id: 1 }, { id: 2 }], "to")).toEqual([{ id: 1 }, { id: 2 }]);
    refuses(asSet, "a,b", "to");
  });

  it("unordered(): permutations agree, but a repeated element still counts", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 8 }), fc.integer(), (xs, seed) => {
        const shuffled = [...xs].sort((a, b) => ((a * 7 + seed) % 5) - ((b * 7 + seed) % 5));
        expect(unordered(shuffled, "seats")).toEqual(unordered(xs, "seats"));
      }),
    );
    expect(unordered([1, 2, 2], "seats")).not.toEqual(unordered([1, 2], "seats"));
  });

  it("sortedBy(path): objects in field order, ties by the whole element, duplicates kept", () => {
    const lines = [
      { sku: "B-2", qty: 1 },
      { sku: "A-1", qty: 3 },
      { sku: "A-1", qty: 1 },
    ];
    const out = sortedBy("sku")(lines, "items");
    expect(out).toEqual([lines[2], lines[1], lines[0]]);
    expect(sortedBy("sku")([...lines].reverse(), "items")).toEqual(out);
    expect(sortedBy("sku")([lines[0], lines[1]], "items")).not.toEqual(out);
    expect(sortedBy("n")([{ n: 10 }, { n: 9 }], "xs")).toEqual([{ n: 9 }, { n: 10 }]);
    expect(sortedBy("who.email")([{ who: { email: "b" } }, { who: { email: "a" } }], "xs")).toEqual([{ who: { email: "a" } }, { who: { email: "b" } }]);
  });

  it("sortedBy(path): an element without the field is refused with its index; a bad path fails when the policy is written", () => {
    const e = refuses(sortedBy("email"), [{ email: "a" }, { name: "b" }], "attendees");
    expect(e.field).toBe("attendees[1].email");
    expect(() => sortedBy("a..b")).toThrow(IdempotencyPolicyError);
  });

  it("each(fn): runs fn on every element, and an error names the element", () => {
    expect(compose(each(lowercase), asSet)(["Bob@X.com", "ada@x.com", "bob@x.com"], "to")).toEqual(["ada@x.com", "bob@x.com"]);
    expect(refuses(each(lowercase), ["a", 3], "to").field).toBe("to[1]");
    refuses(each(lowercase), "a", "to");
  });
});

describe("minorUnits", () => {
  it("minorUnits(currency): numbers and strings with the currency's code, symbol and thousands commas give one integer", () => {
    expect(sameValue(minorUnits("USD"), [12.5, "12.50", "12.5", " $12.50 ", "USD 12.50", "12.50 usd", "$12.5"])).toBe(1250);
    expect(sameValue(minorUnits("USD"), ["$1,012.50", "1012.5", 1012.5])).toBe(101250);
    expect(sameValue(minorUnits("USD"), [19.99, "19.99"])).toBe(1999);
    expect(sameValue(minorUnits("JPY"), [1200, "¥1,200", "1200 JPY"])).toBe(1200);
    expect(sameValue(minorUnits("KWD"), ["1.5", 1.5, "1.500 KWD"])).toBe(1500);
    expect(minorUnits("USD")("-$3.00", "refund")).toBe(-300);
  });

  it("minorUnits(currency): refuses more decimals than the currency has, a decimal comma, another currency, and non-numbers", () => {
    const usd = minorUnits("USD");
    for (const v of ["12.345", 12.345, "12,50", "€12", "12.50 EUR", "twelve", "", null, true, Number.NaN]) refuses(usd, v, "amount");
    refuses(minorUnits("JPY"), "1200.5", "amount");
    expect(usd(12.3, "a")).not.toBe(usd(12.03, "a"));
  });

  it("minorUnits(currency): an unknown currency code fails when the policy is written", () => {
    expect(() => minorUnits("XYZ")).toThrow(IdempotencyPolicyError);
    expect(() => minorUnits("dollars")).toThrow(/ISO 4217/);
  });
});

describe("e164 (@agent-idempotency/core/phone)", () => {
  it("e164({ defaultCountry }): the ways people write one number give one E.164 string", () => {
    const us = e164({ defaultCountry: "US" });
    expect(sameValue(us, ["(415) 555-0132", "415.555.0132", "415 555 0132", "+1 415 555 0132", "+1-415-555-0132", "+14155550132", "1 (415) 555-0132"])).toBe("+14155550132");
    expect(sameValue(us, ["+44 20 7946 0958", "+44 (0)20 7946 0958"])).toBe("+442079460958");
    expect(us("(415) 555-0133", "to")).not.toBe(us("(415) 555-0132", "to"));
  });

  it("e164(): an extension is kept, so two extensions of one line never share a key", () => {
    const us = e164({ defaultCountry: "US" });
    expect(us("+1 415 555 0132 ext. 12", "to")).toBe("+14155550132;ext=12");
    expect(us("+1 415 555 0132 x13", "to")).not.toBe(us("+1 415 555 0132 ext. 12", "to"));
  });

  it("e164(): refuses text that is not a number, impossible lengths, and a national number without a default country", () => {
    const us = e164({ defaultCountry: "US" });
    for (const v of ["call me", "12", "+1 415 555 0132 9999", "", null, {}]) refuses(us, v, "to");
    expect(refuses(e164(), "(415) 555-0132", "to").message).toMatch(/defaultCountry/);
    expect(() => e164({ defaultCountry: "usa" as never })).toThrow(IdempotencyPolicyError);
  });
});

describe("normalizers", () => {
  it("normalizers: every built-in is in the object, and a policy can use them", async () => {
    expect(Object.keys(normalizers).sort()).toEqual(
      ["asSet", "boolean", "collapseWhitespace", "compose", "each", "isoInstant", "lowercase", "minorUnits", "nfc", "number", "sortedBy", "trim", "unordered"],
    );
    const idem = createIdempotency({
      store: new MemoryStore(),
      tools: { send: { identity: ["to", "subject"], normalize: { to: normalizers.compose(normalizers.each(normalizers.lowercase), normalizers.asSet), subject: normalizers.collapseWhitespace } } },
    });
    const key = (args: unknown) => idem.deriveKey({ action: "send", args, sessionId: "s" })!.key;
    expect(key({ to: ["Bob@x.com", "ada@x.com"], subject: "Hi  there\n" })).toBe(key({ to: ["ada@x.com", "bob@x.com"], subject: "Hi there" }));
    expect(key({ to: ["ada@x.com"], subject: "Hi there" })).not.toBe(key({ to: ["ada@x.com", "bob@x.com"], subject: "Hi there" }));
    // A normalizer error surfaces from run as the IdempotencyKeyError naming the field, and the tool does not run.
    let ran = 0;
    await expect(idem.run({ action: "send", args: { to: "ada@x.com", subject: "x" }, sessionId: "s" }, () => ++ran)).rejects.toMatchObject({ code: "KEY_INVALID", field: "to" });
    expect(ran).toBe(0);
  });
});
