/**
 * Isolation between scopes, property-based: for random sequences of calls over a few sessions,
 * actions, arguments and (sometimes) explicit keys, a replay never returns a result recorded in
 * another scope. A call whose explicit key was first used in another scope is refused with
 * SCOPE_MISMATCH and does not run. Checked against a model of what each call must do.
 */
import { createIdempotency, isIdempotencyError, MemoryStore, type IdempotencyStore } from "@agent-idempotency/core";
import { SqliteStore } from "@agent-idempotency/store-sqlite";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

interface Call {
  session: string;
  action: "book" | "cancel";
  slot: number;
  key?: string | undefined;
}

const call = fc.record({
  session: fc.constantFrom("s1", "s2", "s3"),
  action: fc.constantFrom("book" as const, "cancel" as const),
  slot: fc.integer({ min: 0, max: 2 }),
  key: fc.option(fc.constantFrom("K-1", "K-2", "idem:shared"), { nil: undefined, freq: 3 }),
});

type Tagged = { session: string; action: string; slot: number; run: number };

async function play(store: IdempotencyStore, calls: Call[], checkAction: boolean): Promise<void> {
  const idempotency = createIdempotency({ store, tools: { book: true, cancel: true }, onWarning: () => undefined });
  const model = new Map<string, { call: Call; value: Tagged }>();
  let runs = 0;
  for (const c of calls) {
    const modelKey = c.key ?? `${c.action}|${c.session}|${c.slot}`;
    const known = model.get(modelKey);
    let ran = false;
    const outcome = await idempotency
      .run({ action: c.action, args: { slot: c.slot }, sessionId: c.session, key: c.key }, () => ((ran = true), { session: c.session, action: c.action, slot: c.slot, run: ++runs }))
      .then((r) => ({ ok: r }), (e: unknown) => ({ error: e }));
    if ("error" in outcome) {
      // The only refusal here: an explicit key that another scope, or another action, wrote first.
      expect(isIdempotencyError(outcome.error, "SCOPE_MISMATCH")).toBe(true);
      expect(known && (known.call.session !== c.session || known.call.action !== c.action)).toBe(true);
      expect(ran).toBe(false);
      continue;
    }
    const { ok } = outcome;
    const value = ok.value as Tagged;
    if (ok.replayed) {
      // Never a result recorded in another scope.
      expect(value.session).toBe(c.session);
      expect(known?.value).toEqual(value);
      if (checkAction) expect(value.action).toBe(c.action);
    } else {
      expect(known).toBeUndefined();
      expect(ran).toBe(true);
      model.set(modelKey, { call: c, value });
    }
  }
}

describe("scopes: a replay never crosses into another scope", () => {
  it("run(): random sessions, actions, arguments and explicit keys on a MemoryStore", async () => {
    await fc.assert(fc.asyncProperty(fc.array(call, { maxLength: 40 }), (calls) => play(new MemoryStore(), calls, false)), { numRuns: 500 });
  });

  it("run(): the same on a SQLite store (records decoded from the table)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call, { maxLength: 25 }), async (calls) => {
        const store = new SqliteStore({ path: ":memory:" });
        try {
          await play(store, calls, false);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it("run(): a scope error names the key, never the arguments or the other scope's result", async () => {
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: { book: true }, onWarning: () => undefined });
    await idempotency.run({ action: "book", args: { card: "4111111111111111" }, sessionId: "alice", key: "K-1" }, () => ({ secret: "alice-only" }));
    const e = (await idempotency.run({ action: "book", args: { card: "x" }, sessionId: "mallory", key: "K-1" }, () => ({})).catch((x: unknown) => x)) as Error;
    expect(isIdempotencyError(e, "SCOPE_MISMATCH")).toBe(true);
    expect(e.message).toContain("K-1");
    for (const leak of ["4111", "alice", "secret"]) expect(e.message).not.toContain(leak);
  });

  // The engine checks a record's action on read as well as its scope: an explicit key reused for
  // another tool in the same scope is refused (SCOPE_MISMATCH), never replayed.
  it("run(): a replay never returns another action's result either (explicit keys reused across tools)", async () => {
    await fc.assert(fc.asyncProperty(fc.array(call, { maxLength: 40 }), (calls) => play(new MemoryStore(), calls, true)), { numRuns: 500 });
  });
});
