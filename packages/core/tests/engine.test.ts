import { describe, expect, it } from "vitest";
import type { IdempotencyStore } from "@agent-idempotency/core";
import {
  createIdempotency,
  IdempotencyInProgressError,
  IdempotencyOutcomeUnknownError,
  IdempotencyPayloadMismatchError,
  IdempotencyRecordedError,
  IdempotencyScopeError,
  IdempotencyStoreError,
  isIdempotencyError,
  MemoryAuditLog,
  MemoryStore,
} from "@agent-idempotency/core";
import { FakeClock } from "@agent-idempotency/core/testing";

const quiet = { onWarning: () => {} };

function setup(tools: Parameters<typeof createIdempotency>[0]["tools"] = { book: { identity: ["id"] } }) {
  const clock = new FakeClock();
  const store = new MemoryStore();
  const audit = new MemoryAuditLog();
  // Two engines on one store behave like two processes sharing it (no shared single flight).
  const make = () => createIdempotency({ store, clock, audit, tools, ...quiet });
  return { clock, store, audit, a: make(), b: make() };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

async function until(cond: () => Promise<boolean> | boolean) {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error("condition never held");
}

describe("run(): single flight and replay", () => {
  it("run(): 500 concurrent calls with one key execute fn exactly once", async () => {
    const { a, audit } = setup();
    let effects = 0;
    const results = await Promise.all(
      Array.from({ length: 500 }, () =>
        a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, async () => {
          effects++;
          await new Promise((r) => setTimeout(r, 5));
          return { booking: effects };
        }),
      ),
    );
    expect(effects).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r.value)))).toEqual(new Set(['{"booking":1}']));
    expect(results.filter((r) => r.replayed)).toHaveLength(499);
    expect(results.filter((r) => r.outcome === "executed")).toHaveLength(1);
    expect(audit.entries).toHaveLength(500);
    expect(audit.entries.filter((e) => e.outcome === "replayed")).toHaveLength(499);
  });

  it("run(): a single-flight waiter gets its own copy of the leader's plain result, never the leader's object", async () => {
    const { a } = setup();
    const g = gate();
    const value = { booking: { id: 1 } };
    const leader = a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, async () => {
      await g.opened;
      return value;
    });
    const waiter = a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, async () => ({ booking: { id: 2 } }));
    g.open();
    const [l, w] = await Promise.all([leader, waiter]);
    expect(l.value).toBe(value);
    expect(w.outcome).toBe("replayed");
    expect(w.value).toEqual(value);
    expect(w.value).not.toBe(value);
    expect(w.value.booking).not.toBe(value.booking);
  });

  it("run(): 500 concurrent calls from two engines sharing a store still execute once", async () => {
    const { a, b } = setup();
    let effects = 0;
    const fn = async () => {
      effects++;
      await new Promise((r) => setTimeout(r, 5));
      return "ok";
    };
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => (i % 2 ? a : b).run({ action: "book", args: { id: 1 }, sessionId: "s" }, fn)));
    expect(effects).toBe(1);
    expect(results.filter((r) => r.replayed)).toHaveLength(499);
  });

  it("run(): a later retry replays the recorded value with the same key", async () => {
    const { a, b } = setup();
    let effects = 0;
    const first = await a.run({ action: "book", args: { id: 1, note: "x" }, sessionId: "s" }, () => ({ n: ++effects }));
    const again = await b.run({ action: "book", args: { id: 1, note: "x" }, sessionId: "s" }, () => ({ n: ++effects }));
    expect(effects).toBe(1);
    expect(again).toMatchObject({ value: { n: 1 }, key: first.key, replayed: true, outcome: "replayed" });
  });

  it("run(): hands the key and attempt to fn", async () => {
    const { a } = setup();
    const seen: unknown[] = [];
    const r = await a.run({ action: "book", args: { id: 9 }, sessionId: "s" }, ({ key, attempt, signal }) => {
      seen.push(key, attempt, signal instanceof AbortSignal);
      return null;
    });
    expect(seen).toEqual([r.key, 1, true]);
  });

  it("run(): calls that end before a key exists are audited too (a throwing unguarded tool, an unkeyable call)", async () => {
    const { a, audit } = setup();
    await expect(a.run({ action: "search", args: {}, sessionId: "s" }, () => { throw new Error("down"); })).rejects.toThrow("down");
    await expect(a.run({ action: "book", args: {}, sessionId: "s" }, () => 1)).rejects.toThrow(/identity field "id" is missing/);
    expect(audit.entries.map((e) => [e.action_type, e.outcome, e.idempotency_key])).toEqual([
      ["search", "failed", undefined],
      ["book", "failed", undefined],
    ]);
  });

  it("extend(): a second engine with more tools shares the store and the sinks", async () => {
    const { a, store, audit } = setup();
    const b = a.extend({ tools: { charge: { identity: ["order"] } } });
    expect(b.store).toBe(store);
    expect(b.policy("book")).toBeDefined();
    let effects = 0;
    await b.run({ action: "charge", args: { order: 1 }, sessionId: "s" }, () => ++effects);
    await b.run({ action: "charge", args: { order: 1 }, sessionId: "s" }, () => ++effects);
    expect(effects).toBe(1);
    expect(audit.entries.map((e) => e.outcome)).toEqual(["executed", "replayed"]);
  });

  it("run(): an unguarded tool runs every time and is audited as unguarded", async () => {
    const { a, audit } = setup();
    let effects = 0;
    await a.run({ action: "search", args: { q: 1 }, sessionId: "s" }, () => ++effects);
    const r = await a.run({ action: "search", args: { q: 1 }, sessionId: "s" }, () => ++effects);
    expect(effects).toBe(2);
    expect(r.outcome).toBe("unguarded");
    expect(audit.entries.map((e) => e.outcome)).toEqual(["unguarded", "unguarded"]);
  });

  it("run(): a tool listed as false is never guarded, even under guard: \"all\"; other tools are", async () => {
    const store = new MemoryStore();
    const audit = new MemoryAuditLog();
    const engine = createIdempotency({ store, audit, defaults: { guard: "all" }, tools: { search: false }, ...quiet });
    expect(engine.policy("search")).toBeUndefined();
    expect(engine.policy("book")).toBeDefined();
    let searches = 0;
    let bookings = 0;
    for (let i = 0; i < 2; i++) {
      await engine.run({ action: "search", args: { q: 1 }, sessionId: "s" }, () => ++searches);
      await engine.run({ action: "book", args: { slot: 1 }, sessionId: "s" }, () => ++bookings);
    }
    expect({ searches, bookings }).toEqual({ searches: 2, bookings: 1 });
    expect(audit.entries.map((e) => `${e.action_type}:${e.outcome}`)).toEqual(["search:unguarded", "book:executed", "search:unguarded", "book:replayed"]);
    // extend() can guard it again with a policy of its own.
    expect(engine.extend({ tools: { search: {} } }).policy("search")).toBeDefined();
    expect(() => createIdempotency({ store, tools: { search: null as never }, ...quiet })).toThrow(/must be a policy object, true, or false/);
  });
});

describe("run(): leases and take-over", () => {
  it("run(): a dead holder is taken over after leaseMs; its late complete is lease_lost and overwrites nothing", async () => {
    const { a, b, clock, store, audit } = setup({ book: { identity: ["id"], leaseMs: 60_000 } });
    let effects = 0;
    const stuck = gate();
    const first = a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, async () => {
      effects++;
      await stuck.opened;
      return "first";
    });
    await until(async () => (await store.get(a.deriveKey({ action: "book", args: { id: 1 }, sessionId: "s" })!.key))?.status === "in_progress");
    clock.advance(60_000);
    const attempts: number[] = [];
    const second = await b.run({ action: "book", args: { id: 1 }, sessionId: "s" }, ({ attempt }) => {
      attempts.push(attempt);
      effects++;
      return "second";
    });
    expect(second).toMatchObject({ value: "second", outcome: "executed", attempt: 2 });
    expect(attempts).toEqual([2]);
    stuck.open();
    const late = await first;
    expect(late).toMatchObject({ value: "first", outcome: "lease_lost" });
    const record = await store.get(second.key!);
    expect(record).toMatchObject({ status: "completed", value: "second", attempt: 2 });
    // The take-over writes the presumed-dead holder's entry (attempt 1); when that holder was only
    // slow, its late complete writes its own: two lease_lost entries say the lease was too short.
    expect(audit.entries.map((e) => [e.outcome, e.attempt])).toEqual([["lease_lost", 1], ["executed", 2], ["lease_lost", 1]]);
    expect(effects).toBe(2);
  });

  it("run(): onInProgress error fails fast while the lease is live", async () => {
    const { a, b, store } = setup({ book: { identity: ["id"], onInProgress: "error" } });
    const stuck = gate();
    const first = a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, () => stuck.opened.then(() => 1));
    await until(async () => (await store.get(a.deriveKey({ action: "book", args: { id: 1 }, sessionId: "s" })!.key)) !== undefined);
    await expect(b.run({ action: "book", args: { id: 1 }, sessionId: "s" }, () => 2)).rejects.toBeInstanceOf(IdempotencyInProgressError);
    stuck.open();
    await first;
  });

  it("run(): onInProgress wait polls until the holder completes, then replays", async () => {
    const { a, b, store } = setup();
    const stuck = gate();
    let effects = 0;
    const first = a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, () => stuck.opened.then(() => ++effects));
    await until(async () => (await store.get(a.deriveKey({ action: "book", args: { id: 1 }, sessionId: "s" })!.key)) !== undefined);
    const waiting = b.run({ action: "book", args: { id: 1 }, sessionId: "s" }, () => ++effects);
    await new Promise((r) => setTimeout(r, 30));
    stuck.open();
    expect(await waiting).toMatchObject({ value: 1, replayed: true });
    expect((await first).outcome).toBe("executed");
    expect(effects).toBe(1);
  });

  it("run(): waiting gives up after waitMs with IdempotencyInProgressError", async () => {
    const { a, b, store, clock } = setup({ book: { identity: ["id"], waitMs: 1000 } });
    const stuck = gate();
    const first = a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, () => stuck.opened.then(() => 1));
    await until(async () => (await store.get(a.deriveKey({ action: "book", args: { id: 1 }, sessionId: "s" })!.key)) !== undefined);
    const waiting = b.run({ action: "book", args: { id: 1 }, sessionId: "s" }, () => 2);
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(1001);
    await expect(waiting).rejects.toThrow(/still in progress after waiting/);
    stuck.open();
    await first;
  });

  it("run(): a heartbeat keeps a slow tool's claim alive past leaseMs", async () => {
    const store = new MemoryStore();
    const tools = { slow: { leaseMs: 60 } };
    const a = createIdempotency({ store, tools, ...quiet });
    const b = createIdempotency({ store, tools, ...quiet });
    let effects = 0;
    const slow = a.run({ action: "slow", args: {}, sessionId: "s" }, async () => {
      effects++;
      await new Promise((r) => setTimeout(r, 300)); // five leases long
      return "done";
    });
    await new Promise((r) => setTimeout(r, 150));
    const retry = await b.run({ action: "slow", args: {}, sessionId: "s" }, () => ++effects);
    expect(retry).toMatchObject({ value: "done", replayed: true });
    expect((await slow).outcome).toBe("executed");
    expect(effects).toBe(1);
  });

  it("run(): onUnknownOutcome error refuses to guess", async () => {
    const { a, b, store, clock } = setup({ book: { identity: ["id"], onUnknownOutcome: "error" } });
    const stuck = gate();
    const first = a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, () => stuck.opened.then(() => 1));
    await until(async () => (await store.get(a.deriveKey({ action: "book", args: { id: 1 }, sessionId: "s" })!.key)) !== undefined);
    clock.advance(60_000);
    let effects = 0;
    await expect(b.run({ action: "book", args: { id: 1 }, sessionId: "s" }, () => ++effects)).rejects.toBeInstanceOf(IdempotencyOutcomeUnknownError);
    expect(effects).toBe(0);
    stuck.open();
    await first;
  });

  it("run(): a reconcile hook that finds the effect upstream records it instead of re-running", async () => {
    const upstream = new Map<string, string>();
    const { a, b, store, clock, audit } = setup({
      book: { identity: ["id"], onUnknownOutcome: async ({ key }) => (upstream.has(key) ? { result: upstream.get(key) } : undefined) },
    });
    let effects = 0;
    const stuck = gate();
    const first = a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, async ({ key }) => {
      effects++;
      upstream.set(key!, "booking-1"); // the effect happened upstream, then the holder hangs
      await stuck.opened;
      return "booking-1";
    });
    await until(() => upstream.size === 1);
    clock.advance(60_000);
    const recovered = await b.run({ action: "book", args: { id: 1 }, sessionId: "s" }, () => (effects++, "booking-2"));
    expect(recovered).toMatchObject({ value: "booking-1", outcome: "recovered", attempt: 2 });
    expect(effects).toBe(1);
    expect((await store.get(recovered.key!))?.status).toBe("completed");
    stuck.open();
    await first;
    expect(audit.entries.map((e) => e.outcome)).toContain("recovered");
  });
});

/** A store that delegates to `base` except for the methods given. */
function wrapStore(base: MemoryStore, overrides: Partial<IdempotencyStore>): IdempotencyStore {
  return {
    claim: (k, r) => base.claim(k, r),
    complete: (c, o) => base.complete(c, o),
    fail: (c, f) => base.fail(c, f),
    release: (c) => base.release(c),
    heartbeat: (c, l) => base.heartbeat(c, l),
    get: (k) => base.get(k),
    close: () => base.close(),
    ...overrides,
  };
}

describe("run(): store round trips", () => {
  it("run(): a lease that expires during the claim round trip is waited for and taken over, not refused", async () => {
    const clock = new FakeClock();
    const base = new MemoryStore();
    const slowClaim = wrapStore(base, {
      claim: async (key, req) => {
        const r = await base.claim(key, req);
        clock.advance(1000); // the reply arrives after the holder's lease ended
        return r;
      },
    });
    const tools = { book: { leaseMs: 1000 } };
    const a = createIdempotency({ store: base, clock, tools, ...quiet });
    const b = createIdempotency({ store: slowClaim, clock, tools, ...quiet });
    const stuck = gate();
    void a.run({ action: "book", args: {}, sessionId: "s" }, () => stuck.opened);
    await until(async () => (await base.get(a.deriveKey({ action: "book", args: {}, sessionId: "s" })!.key)) !== undefined);
    clock.advance(500);
    const r = await b.run({ action: "book", args: {}, sessionId: "s" }, () => "taken over");
    expect(r).toMatchObject({ value: "taken over", outcome: "executed", attempt: 2 });
    stuck.open();
  });

  it("run(): a complete whose reply was lost, retried, reports executed (not lease_lost)", async () => {
    const base = new MemoryStore();
    let lost = 1;
    const lossy = wrapStore(base, {
      complete: async (claim, outcome) => {
        const ok = await base.complete(claim, outcome);
        if (lost-- > 0) throw new Error("connection reset after the write committed");
        return ok;
      },
    });
    const audit = new MemoryAuditLog();
    const engine = createIdempotency({ store: lossy, audit, tools: { book: {} }, ...quiet });
    const r = await engine.run({ action: "book", args: {}, sessionId: "s" }, () => "booked");
    expect(r.outcome).toBe("executed");
    expect(audit.entries.map((e) => e.outcome)).toEqual(["executed"]);
    expect((await base.get(r.key!))?.status).toBe("completed");
  });
});

describe("run(): the in-process fast path", () => {
  it("run(): a MemoryStore whose claim and complete are replaced later still sees every claim and complete", async () => {
    const { store, a } = setup();
    await a.run({ action: "book", args: { id: 0 }, sessionId: "s" }, async () => 0); // the store is set up
    const calls: string[] = [];
    const claim = store.claim.bind(store);
    const complete = store.complete.bind(store);
    store.claim = (key, req) => (calls.push("claim"), claim(key, req));
    store.complete = (c, outcome) => (calls.push("complete"), complete(c, outcome));
    await a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, async () => 1);
    const again = await a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, async () => 2);
    expect(calls).toEqual(["claim", "complete", "claim"]);
    expect(again).toMatchObject({ value: 1, outcome: "replayed" });
  });

  it("run(): a wrapper made with Object.create(memoryStore) that overrides claim sees every claim", async () => {
    const inner = new MemoryStore();
    let claims = 0;
    const store = Object.assign(Object.create(inner) as MemoryStore, { claim: (key: string, req: Parameters<MemoryStore["claim"]>[1]) => (claims++, inner.claim(key, req)) });
    const engine = createIdempotency({ store, tools: { book: {} }, ...quiet });
    for (let i = 0; i < 3; i++) await engine.run({ action: "book", args: { id: i }, sessionId: "s" }, async () => i);
    expect(claims).toBe(3);
  });
});

describe("run(): failures", () => {
  it("run(): with cacheErrors false a failure releases the claim and the retry runs with the same key", async () => {
    const { a } = setup();
    const keys: (string | undefined)[] = [];
    await expect(a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, ({ key }) => {
      keys.push(key);
      throw new Error("504 from upstream");
    })).rejects.toThrow("504 from upstream");
    const r = await a.run({ action: "book", args: { id: 1 }, sessionId: "s" }, ({ key }) => (keys.push(key), "ok"));
    expect(r.outcome).toBe("executed");
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it("run(): with cacheErrors true the retry rethrows the recorded error without running", async () => {
    const { a, b } = setup({ charge: { cacheErrors: true } });
    let effects = 0;
    const declined = Object.assign(new Error("card declined"), { code: "card_declined" });
    await expect(a.run({ action: "charge", args: { c: 1 }, sessionId: "s" }, () => {
      effects++;
      throw declined;
    })).rejects.toBe(declined);
    const again = b.run({ action: "charge", args: { c: 1 }, sessionId: "s" }, () => ++effects);
    await expect(again).rejects.toBeInstanceOf(IdempotencyRecordedError);
    await expect(again).rejects.toMatchObject({ message: expect.stringContaining("card declined"), recorded: { name: "Error", code: "card_declined" } });
    expect(effects).toBe(1);
  });

  it("run(): cacheErrors as a predicate records only the errors it names; passthrough errors never", async () => {
    const { a } = setup({ charge: { cacheErrors: (e) => (e as Error).message === "final" } });
    let effects = 0;
    const fail = (message: string) => () => {
      effects++;
      throw new Error(message);
    };
    await expect(a.run({ action: "charge", args: { c: 1 }, sessionId: "s" }, fail("transient"))).rejects.toThrow("transient");
    await expect(a.run({ action: "charge", args: { c: 1 }, sessionId: "s", passthrough: () => true }, fail("final"))).rejects.toThrow("final");
    await expect(a.run({ action: "charge", args: { c: 1 }, sessionId: "s" }, fail("final"))).rejects.toThrow("final");
    await expect(a.run({ action: "charge", args: { c: 1 }, sessionId: "s" }, fail("never runs"))).rejects.toBeInstanceOf(IdempotencyRecordedError);
    expect(effects).toBe(3);
  });

  it("run(): a store that throws on claim is fail-closed: IdempotencyStoreError, fn never runs", async () => {
    const broken: IdempotencyStore = Object.assign(new MemoryStore(), {
      claim: async () => {
        throw new Error("connection refused");
      },
    });
    const audit = new MemoryAuditLog();
    const engine = createIdempotency({ store: broken, audit, tools: { book: {} }, ...quiet });
    let effects = 0;
    const run = engine.run({ action: "book", args: {}, sessionId: "s" }, () => ++effects);
    await expect(run).rejects.toBeInstanceOf(IdempotencyStoreError);
    await expect(run).rejects.toMatchObject({ code: "STORE_FAILED", cause: { message: "connection refused" } });
    expect(effects).toBe(0);
    expect(audit.entries.map((e) => e.outcome)).toEqual(["failed"]);
    const open = createIdempotency({ store: broken, audit, tools: { book: {} }, onStoreError: "open", ...quiet });
    expect((await open.run({ action: "book", args: {}, sessionId: "s" }, () => ++effects)).outcome).toBe("unguarded");
    expect(effects).toBe(1);
  });

  it("run(): an audit sink that throws never changes the outcome", async () => {
    const errors: unknown[] = [];
    const engine = createIdempotency({
      store: new MemoryStore(),
      tools: { book: {} },
      audit: { write: () => { throw new Error("disk full"); }, query: async function* () {} },
      onAuditError: (e) => errors.push(e),
      ...quiet,
    });
    expect((await engine.run({ action: "book", args: {}, sessionId: "s" }, () => 1)).value).toBe(1);
    expect(errors).toHaveLength(1);
  });
});

describe("run(): scope and payload checks", () => {
  it("run(): a record written in scope A is never replayed into scope B, even with a forced key", async () => {
    const { a, b } = setup();
    let effects = 0;
    await a.run({ action: "book", args: { id: 1 }, sessionId: "A", key: "order-1" }, () => ++effects);
    const other = b.run({ action: "book", args: { id: 1 }, sessionId: "B", key: "order-1" }, () => ++effects);
    await expect(other).rejects.toBeInstanceOf(IdempotencyScopeError);
    expect(effects).toBe(1);
  });

  it("run(): concurrent calls in different scopes with a forced key do not share a single flight", async () => {
    const { a } = setup();
    const stuck = gate();
    const first = a.run({ action: "book", args: { id: 1 }, sessionId: "A", key: "order-2" }, () => stuck.opened.then(() => "A's"));
    const second = a.run({ action: "book", args: { id: 1 }, sessionId: "B", key: "order-2", }, () => "B's");
    await expect(second).rejects.toSatisfy((e) => isIdempotencyError(e, "SCOPE_MISMATCH") || isIdempotencyError(e, "IN_PROGRESS"));
    stuck.open();
    expect((await first).value).toBe("A's");
  });

  it("run(): same key with different arguments replays by default and is audited as mismatch", async () => {
    const { a, audit } = setup();
    await a.run({ action: "book", args: { id: 1, note: "first" }, sessionId: "s" }, () => "one");
    const r = await a.run({ action: "book", args: { id: 1, note: "second" }, sessionId: "s" }, () => "two");
    expect(r).toMatchObject({ value: "one", replayed: true, outcome: "mismatch" });
    expect(audit.entries.at(-1)?.outcome).toBe("mismatch");
  });

  it("run(): onPayloadMismatch error refuses the replay", async () => {
    const { a } = setup({ book: { identity: ["id"], onPayloadMismatch: "error" } });
    await a.run({ action: "book", args: { id: 1, note: "first" }, sessionId: "s" }, () => "one");
    await expect(a.run({ action: "book", args: { id: 1, note: "second" }, sessionId: "s" }, () => "two")).rejects.toBeInstanceOf(IdempotencyPayloadMismatchError);
  });

  it("run(): every guarded call writes exactly one audit entry with the design's fields", async () => {
    const { a, audit } = setup({ book: { identity: ["id"], responseId: (r: { booking_id: string }) => r.booking_id } });
    await a.run({ action: "book", args: { id: 1 }, sessionId: "s", toolCallId: "call_1" }, () => ({ booking_id: "b_1" }));
    await a.run({ action: "book", args: { id: 1 }, sessionId: "s", toolCallId: "call_2" }, () => ({ booking_id: "b_2" }));
    expect(audit.entries).toHaveLength(2);
    expect(audit.entries[0]).toMatchObject({ action_type: "book", response_id: "b_1", outcome: "executed", session_id: "s", tool_call_id: "call_1", attempt: 1 });
    expect(audit.entries[1]).toMatchObject({ response_id: "b_1", outcome: "replayed", tool_call_id: "call_2" });
    expect(audit.entries[0]!.idempotency_key).toBe(audit.entries[1]!.idempotency_key);
    expect(audit.entries[0]!.fingerprint).toMatch(/^[0-9a-f]{32}$/);
  });
});
