import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { createIdempotency, isoInstant, MemoryStore } from "@agent-idempotency/core";
import { formatKeyComparison, idempotencyKey } from "@agent-idempotency/core/internal";
import type { GuardedCall } from "@agent-idempotency/core";

const schema = {
  type: "object",
  properties: { user_email: { type: "string", format: "email" }, slot: { type: "string", format: "date-time" }, note: { type: "string" } },
};
const idem = createIdempotency({
  store: new MemoryStore(),
  tools: {
    book_calendar: { identity: ["user_email", "calendar_id", "slot"], normalize: { slot: isoInstant } },
    all_args: true,
    by_fn: { identity: (a: { order: { id: string } }) => a.order.id },
  },
});
const call = (args: Record<string, unknown>, more: Partial<GuardedCall> = {}): GuardedCall => ({ action: "book_calendar", args, sessionId: "thread-42", schema, ...more });
const base = { user_email: " Ada@Example.com", calendar_id: "cal_9", slot: "2026-12-01T11:00:00+01:00", note: "standup" };

describe("explainKey()", () => {
  it("explainKey(call): scope, each normalizer before and after, the selected identity, the canonical JSON and the key run hashes", () => {
    const x = idem.explainKey(call(base));
    expect(x.scope).toBe("thread-42");
    expect(x.identityRule).toEqual(["user_email", "calendar_id", "slot"]);
    expect(x.normalizers).toEqual([
      { path: "user_email", normalizer: "trim+lowercase", source: "schema", fact: "format: email", applied: true, before: " Ada@Example.com", after: "ada@example.com" },
      { path: "slot", normalizer: "isoInstant", source: "policy", applied: true, before: "2026-12-01T11:00:00+01:00", after: "2026-12-01T10:00:00.000Z" },
    ]);
    expect(x.identity).toEqual({ user_email: "ada@example.com", calendar_id: "cal_9", slot: "2026-12-01T10:00:00.000Z" });
    expect(x.canonical).toBe('{"action":"book_calendar","identity":{"calendar_id":"cal_9","slot":"2026-12-01T10:00:00.000Z","user_email":"ada@example.com"},"scope":"thread-42"}');
    expect(x.key).toBe(idempotencyKey({ action: "book_calendar", scope: "thread-42", identity: x.identity }));
    expect(x.key).toBe(idem.deriveKey(call(base))!.key);
    expect(x.fingerprint).toBe(idem.deriveKey(call(base))!.fingerprint);
  });

  it("explainKey(call): prints as text with console.log, and stays plain data for JSON", () => {
    const x = idem.explainKey(call(base));
    const text = inspect(x);
    expect(text).toContain(`key ${x.key}`);
    expect(text).toContain('user_email: trim+lowercase [schema, format: email]  " Ada@Example.com" → "ada@example.com"');
    expect(text).toContain(`canonical    ${x.canonical}`);
    expect(String(x)).toBe(text);
    expect(Object.keys(JSON.parse(JSON.stringify(x)))).toEqual(["action", "scope", "sessionId", "keySource", "identityRule", "normalizers", "args", "identity", "canonical", "key", "fingerprint"]);
  });

  it("explainKey(a, b): the same logical call spelled two ways has one key, and nothing differs", () => {
    const c = idem.explainKey(call(base), call({ ...base, user_email: "ada@example.com", slot: "2026-12-01T10:00Z" }));
    expect(c.sameKey).toBe(true);
    expect(c.differences).toEqual([]);
    expect(c.outsideIdentity).toEqual([]);
  });

  it("explainKey(a, b): names exactly the identity field that differs, with the values as written", () => {
    const c = idem.explainKey(call(base), call({ ...base, slot: "2026-12-01T10:30:00Z", note: "1:1" }));
    expect(c.sameKey).toBe(false);
    expect(c.differences).toEqual([
      { part: "identity", path: "slot", a: "2026-12-01T10:00:00.000Z", b: "2026-12-01T10:30:00.000Z", rawA: "2026-12-01T11:00:00+01:00", rawB: "2026-12-01T10:30:00Z" },
    ]);
    expect(c.outsideIdentity).toEqual([{ part: "arguments", path: "note", a: "standup", b: "1:1" }]);
    expect(formatKeyComparison(c)).toMatch(/^different keys: A [0-9a-f]{32}, B [0-9a-f]{32}\nthey differ in 1 place:\n  slot\n    A  "2026-12-01T10:00:00.000Z"   written "2026-12-01T11:00:00\+01:00"\n/);
  });

  it("explainKey(a, b): a different scope, and deep differences under an all-arguments identity", () => {
    const scope = idem.explainKey(call(base), call(base, { sessionId: "thread-43" }));
    expect(scope.differences).toEqual([{ part: "scope", path: "scope", a: "thread-42", b: "thread-43" }]);
    const deep = idem.explainKey(
      { action: "all_args", args: { items: [{ sku: "A", qty: 1 }], to: { email: "a@x" } }, sessionId: "s" },
      { action: "all_args", args: { items: [{ sku: "A", qty: 2 }, { sku: "B", qty: 1 }], to: { email: "a@x" } }, sessionId: "s" },
    );
    expect(deep.differences).toEqual([
      { part: "identity", path: "items[0].qty", a: 1, b: 2 },
      { part: "identity", path: "items[1]", b: { sku: "B", qty: 1 } },
    ]);
  });

  it("explainKey(a, b): with an identity function, the difference is in what it returned", () => {
    const c = idem.explainKey({ action: "by_fn", args: { order: { id: "o-1" } }, sessionId: "s" }, { action: "by_fn", args: { order: { id: "o-2" } }, sessionId: "s" });
    expect(c.a.identityRule).toBe("function");
    expect(c.differences).toEqual([{ part: "identity", path: "(arguments)", a: "o-1", b: "o-2" }]);
  });

  it("explainKey(): throws what run would throw, and refuses a tool that has no policy", () => {
    expect(() => idem.explainKey(call({ calendar_id: "cal_9", slot: "2026-12-01T10:00:00Z" }))).toThrow(expect.objectContaining({ code: "KEY_INVALID", field: "user_email" }));
    expect(() => idem.explainKey({ action: "unknown_tool", args: {}, sessionId: "s" })).toThrow(/no policy/);
  });

  it("explainKey(): an explicit key is reported as such", () => {
    const x = idem.explainKey(call(base, { key: "order-42-charge" }));
    expect(x.keySource).toBe("explicit");
    expect(x.key).toBe("order-42-charge");
    expect(String(x)).toContain("the call's own key");
  });
});
