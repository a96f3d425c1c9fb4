import { describe, expect, it } from "vitest";
import { createIdempotency, IdempotencyPolicyError, isoInstant, lowercase, MemoryStore, normalizersFromSchema, sortedBy, trim } from "@agent-idempotency/core";
import type { JsonSchema, ToolPolicy } from "@agent-idempotency/core";

const schema = {
  type: "object",
  properties: {
    email: { type: "string", format: "email" },
    start: { type: "string", format: "date-time" },
    seats: { type: "integer" },
    price: { type: ["number", "null"] },
    notify: { type: "boolean" },
    priority: { type: "string", enum: ["Low", "Normal", "High"] },
    title: { type: "string" },
    ranking: { type: "array", uniqueItems: true, items: { type: "string" } },
    attendees: { type: "array", items: { type: "object", properties: { email: { type: "string", format: "email" }, optional: { type: "boolean" } } } },
    slot: { type: "object", properties: { end: { anyOf: [{ type: "string", format: "date-time" }, { type: "null" }] }, room: { $ref: "#/$defs/Room" } } },
    request_id: { type: "string", format: "uuid" },
    day: { type: "string", format: "date" },
    either: { type: ["string", "number"] },
  },
  $defs: { Room: { type: "string", enum: ["A", "B"] } },
} as const;

const keyOf = (policy: ToolPolicy, args: unknown, s: JsonSchema | null = schema) =>
  createIdempotency({ store: new MemoryStore(), tools: { t: policy } }).deriveKey({ action: "t", args, sessionId: "s", schema: s ?? undefined })!;

describe("normalizersFromSchema()", () => {
  it("normalizersFromSchema(): maps exactly the documented facts, at their paths", () => {
    const got = normalizersFromSchema(schema).map((d) => [d.path, d.normalizer.name, d.fact]);
    expect(got).toEqual([
      ["email", "trim+lowercase", "format: email"],
      ["start", "isoInstant", "format: date-time"],
      ["seats", "number", "type: integer"],
      ["price", "number", "type: number or null"],
      ["notify", "boolean", "type: boolean"],
      ["priority", "enum", "enum"],
      ["attendees[*].email", "trim+lowercase", "format: email"],
      ["attendees[*].optional", "boolean", "type: boolean"],
      ["slot.end", "isoInstant", "format: date-time or null"],
      ["slot.room", "enum", "enum"],
      ["request_id", "trim+lowercase", "format: uuid"],
    ]);
    // Not derived: plain strings (title), array order even with uniqueItems (ranking), dates, unions of types.
  });

  it("normalizersFromSchema(): the derived normalizers turn each spelling into one value", () => {
    const a = keyOf({}, {
      email: " Ada@Example.com ",
      start: "2026-12-01T11:00:00+01:00",
      seats: "2",
      price: "12.5",
      notify: "yes",
      priority: "high",
      attendees: [{ email: "Bob@X.com", optional: "false" }],
      slot: { end: null, room: "a" },
      request_id: "9F1C0B7E-0000-4000-8000-000000000001",
    });
    const b = keyOf({}, {
      email: "ada@example.com",
      start: "2026-12-01T10:00:00Z",
      seats: 2,
      price: 12.5,
      notify: true,
      priority: "High",
      attendees: [{ email: "bob@x.com", optional: false }],
      slot: { end: null, room: "A" },
      request_id: "9f1c0b7e-0000-4000-8000-000000000001",
    });
    expect(a.key).toBe(b.key);
    expect(a.fingerprint).toBe(b.fingerprint);
  });

  it("normalizersFromSchema(): what is not derived still tells calls apart", () => {
    const base = { title: "Review", ranking: ["a", "b"], day: "2026-12-01" };
    const k = keyOf({}, base).key;
    expect(keyOf({}, { ...base, title: "review" }).key).not.toBe(k);
    expect(keyOf({}, { ...base, ranking: ["b", "a"] }).key).not.toBe(k);
    expect(keyOf({}, { ...base, title: "Review " }).key).not.toBe(k);
  });

  it("normalizersFromSchema(): an enum whose members differ only in case is matched exactly", () => {
    const s = { type: "object", properties: { unit: { type: "string", enum: ["m", "M"] } } };
    expect(normalizersFromSchema(s)).toEqual([]);
    expect(keyOf({}, { unit: "m" }, s).key).not.toBe(keyOf({}, { unit: "M" }, s).key);
  });

  it("normalizersFromSchema(): a recursive $ref stops instead of looping; boolean schemas derive nothing", () => {
    const tree = { $ref: "#/$defs/Node", $defs: { Node: { type: "object", properties: { id: { type: "integer" }, child: { $ref: "#/$defs/Node" } } } } };
    expect(normalizersFromSchema(tree).map((d) => d.path)).toEqual(["id"]);
    expect(normalizersFromSchema(true)).toEqual([]);
  });

  it("derived normalizers refuse what they cannot read, with IdempotencyKeyError naming the field", () => {
    expect(() => keyOf({}, { seats: "two" })).toThrow(expect.objectContaining({ code: "KEY_INVALID", field: "seats" }));
    expect(() => keyOf({}, { priority: "urgent" })).toThrow(expect.objectContaining({ field: "priority" }));
    expect(() => keyOf({}, { attendees: [{ email: 3 }] })).toThrow(expect.objectContaining({ field: "attendees[0].email" }));
  });
});

describe("ToolPolicy.normalizeFromSchema", () => {
  it("normalizeFromSchema: on by default when the call carries a schema; false turns it off", () => {
    const a = { email: "Ada@Example.com" };
    const b = { email: "ada@example.com" };
    expect(keyOf({}, a).key).toBe(keyOf({}, b).key);
    expect(keyOf({ normalizeFromSchema: false }, a).key).not.toBe(keyOf({ normalizeFromSchema: false }, b).key);
    // Without a schema nothing is derived.
    expect(keyOf({}, a, null).key).not.toBe(keyOf({}, b, null).key);
  });

  it("normalize: an explicit entry replaces the derived one on its field; derived ones below it run first", () => {
    // explicit trim only: the schema's lowercase no longer applies to email
    expect(keyOf({ normalize: { email: trim } }, { email: " Ada@x.com" }).key).not.toBe(keyOf({ normalize: { email: trim } }, { email: "ada@x.com" }).key);
    // an explicit entry on the parent "slot" sees slot.end already normalized by the schema
    const seen: unknown[] = [];
    keyOf({ normalize: { slot: (v) => (seen.push(v), v) } }, { slot: { end: "2026-12-01T11:00:00+01:00" } });
    expect(seen).toEqual([{ end: "2026-12-01T10:00:00.000Z" }]);
    // an explicit array normalizer keeps the schema's coercion of the elements' fields
    const items = { type: "object", properties: { items: { type: "array", items: { type: "object", properties: { sku: { type: "string" }, qty: { type: "integer" } } } } } };
    const cart = { normalize: { items: sortedBy("sku") } };
    expect(keyOf(cart, { items: [{ sku: "B", qty: "1" }, { sku: "A", qty: 2 }] }, items).key).toBe(keyOf(cart, { items: [{ sku: "A", qty: "2" }, { sku: "B", qty: 1 }] }, items).key);
    // an explicit entry on one element's field replaces the derived entry for every element
    const first = { normalize: { "attendees[0].email": trim } };
    expect(keyOf(first, { attendees: [{ email: "a@x.com" }, { email: "B@x.com" }] }).key).not.toBe(keyOf(first, { attendees: [{ email: "a@x.com" }, { email: "b@x.com" }] }).key);
    const d = keyOf({ normalize: { "slot.end": isoInstant } }, { slot: { end: "2026-12-01T11:00:00+01:00", room: "b" } });
    expect(d.args).toEqual({ slot: { end: "2026-12-01T10:00:00.000Z", room: "B" } });
  });

  it("normalize: a [*] path applies to every element, and a malformed path fails at start-up", () => {
    const policy = { normalize: { "to[*]": lowercase } };
    expect(keyOf(policy, { to: ["Ada@X.com", "bob@x.com"] }, null).key).toBe(keyOf(policy, { to: ["ada@x.com", "BOB@x.com"] }, null).key);
    expect(() => keyOf(policy, { to: "ada@x.com" }, null)).toThrow(expect.objectContaining({ code: "KEY_INVALID", field: "to" }));
    expect(() => createIdempotency({ store: new MemoryStore(), tools: { t: { normalize: { "to[x]": lowercase } } } })).toThrow(IdempotencyPolicyError);
  });

  it("normalizeFromSchema.formats: a format mapped to a normalizer (here a custom phone format)", () => {
    const s = { type: "object", properties: { to: { type: "string", format: "phone" } } };
    const digits = (v: unknown) => String(v).replace(/\D/g, "");
    const policy = { normalizeFromSchema: { formats: { phone: digits } } };
    expect(keyOf(policy, { to: "(415) 555-0132" }, s).key).toBe(keyOf(policy, { to: "415.555.0132" }, s).key);
  });

  it("normalizeFromSchema: a wrong value fails when the engine is created", () => {
    expect(() => createIdempotency({ store: new MemoryStore(), tools: { t: { normalizeFromSchema: "yes" as never } } })).toThrow(IdempotencyPolicyError);
    expect(() => createIdempotency({ store: new MemoryStore(), tools: { t: { normalizeFromSchema: { formats: { phone: "e164" as never } } } } })).toThrow(/formats\["phone"\]/);
  });

  it("run(): the tool gets nothing from the normalizers; only the key and fingerprint see normalized values", async () => {
    const idem = createIdempotency({ store: new MemoryStore(), tools: { t: { identity: ["email"] } } });
    const args = { email: " Ada@Example.com " };
    const seen: unknown[] = [];
    const run = (a: typeof args) => idem.run({ action: "t", args: a, sessionId: "s", schema }, () => (seen.push(structuredClone(a)), "ok"));
    const first = await run(args);
    const second = await run({ email: "ada@example.com" });
    expect(second.replayed).toBe(true);
    expect(second.key).toBe(first.key);
    expect(seen).toEqual([{ email: " Ada@Example.com " }]);
    expect(args).toEqual({ email: " Ada@Example.com " });
  });
});
