/**
 * Start-up validation: every mistake fails when the engine is created, in one error that names
 * each problem and its fix; store errors say why; ready() fails fast; cacheErrors is asked once.
 */
import { describe, expect, it } from "vitest";
import type { IdempotencyOptions, IdempotencyStore } from "@agent-idempotency/core";
import { causeText, closestName, TOOL_POLICY_FIELDS, IDEMPOTENCY_OPTION_FIELDS } from "@agent-idempotency/core/internal";
import { createIdempotency, IdempotencyPolicyError, IdempotencyStoreError, isIdempotencyError, MemoryStore, trim } from "@agent-idempotency/core";
import type { ToolPolicy } from "@agent-idempotency/core";

const quiet = { onWarning: () => {} };

function policyError(fn: () => unknown): IdempotencyPolicyError {
  try {
    fn();
  } catch (e) {
    expect(isIdempotencyError(e, "POLICY_INVALID")).toBe(true);
    return e as IdempotencyPolicyError;
  }
  throw new Error("expected an IdempotencyPolicyError");
}

describe("createIdempotency(): validation", () => {
  it("createIdempotency(): an unknown policy field fails with a did-you-mean, and the field is never ignored", () => {
    const e = policyError(() => createIdempotency({ store: new MemoryStore(), tools: { send_invoice: { identty: ["invoice_id"] } as ToolPolicy }, ...quiet }));
    expect(e.problems).toEqual(['tools.send_invoice: unknown field "identty" (did you mean "identity"?)']);
    expect(e.message).toBe('[agent-idempotency] tools.send_invoice: unknown field "identty" (did you mean "identity"?)');
  });

  it("createIdempotency(): names every problem at once: options, store, policies, defaults", () => {
    const e = policyError(() =>
      createIdempotency({
        tools: {
          book: { identity: ["slot"], ttl: 1000, onInProgress: "block" } as unknown as ToolPolicy,
          charge: { normalize: { "amount[": trim }, scope: "session" } as unknown as ToolPolicy,
        },
        defaults: { guard: "every" } as unknown as IdempotencyOptions["defaults"],
        onStoreEror: "open",
      } as unknown as IdempotencyOptions),
    );
    expect(e.problems).toEqual([
      'options: unknown field "onStoreEror" (did you mean "onStoreError"?)',
      expect.stringMatching(/^store: missing; pass one: new MemoryStore\(\)/),
      'defaults: guard must be "listed" or "all", got "every"',
      'tools.book: unknown field "ttl" (did you mean "ttlMs"?)',
      'tools.book: onInProgress must be one of "wait", "error", got "block"',
      expect.stringMatching(/^tools\.charge: scope must be "turn", "thread" or a function/),
      expect.stringMatching(/^tools\.charge\.normalize: "amount\[" is not a field path/),
    ]);
    expect(e.message.split("\n")[0]).toBe("[agent-idempotency] 7 problems in the configuration:");
  });

  it("createIdempotency(): a normalize path a typo away from an identity field fails, without any schema", () => {
    const e = policyError(() => createIdempotency({ store: new MemoryStore(), tools: { charge: { identity: ["order_id", "currency"], normalize: { curency: trim, note: trim } } }, ...quiet }));
    expect(e.problems).toEqual(['tools.charge.normalize: "curency" is not an identity field (did you mean "currency"?), so "currency" would never be normalized']);
  });

  it("createIdempotency(): a normalizer given by name, as a string, says which function to use instead", () => {
    const e = policyError(() => createIdempotency({ store: new MemoryStore(), tools: { book: { normalize: { slot: "isoInstant", note: "trim+lowercase" } as never } }, ...quiet }));
    expect(e.problems).toEqual([
      'tools.book: normalize["slot"] must be a function: use normalizers.isoInstant (a function), not the string "isoInstant"',
      'tools.book: normalize["note"] must be a function: use a normalizer function',
    ]);
  });

  it("createIdempotency(): a missing store fails at construction, not at the first call", () => {
    const e = policyError(() => createIdempotency({ tools: { book: {} } } as unknown as IdempotencyOptions));
    expect(e.message).toMatch(/store: missing/);
  });

  it("createIdempotency(): an object that is not a store says what it is instead", () => {
    const promise = policyError(() => createIdempotency({ store: Promise.resolve(new MemoryStore()) } as unknown as IdempotencyOptions));
    expect(promise.problems[0]).toMatch(/a Promise.*await it/);
    const keyvLike = policyError(() => createIdempotency({ store: { get() {}, set() {}, delete() {} } } as unknown as IdempotencyOptions));
    expect(keyvLike.problems[0]).toMatch(/not an IdempotencyStore \(no claim\(\), complete\(\), fail\(\), release\(\), heartbeat\(\), close\(\)\); a Keyv instance needs new KeyvStore/);
    const url = policyError(() => createIdempotency({ store: "postgres://u:secret@db/x" } as unknown as IdempotencyOptions));
    expect(url.problems[0]).toMatch(/createStore\("postgres:\/\/…@db\/x"\)/);
    expect(url.message).not.toContain("secret");
  });

  it("createIdempotency(): audit sinks, clock, hooks and protect are checked too", () => {
    const e = policyError(() =>
      createIdempotency({ store: new MemoryStore(), audit: [{}], clock: {}, onWarning: "loud", protect: { keys: { a: "c2hvcnQ=" }, currentKeyId: "b" } } as unknown as IdempotencyOptions),
    );
    expect(e.problems).toEqual([
      "onWarning must be a function",
      "clock must have now(): epoch milliseconds",
      expect.stringMatching(/^audit\[0\]: not an audit sink/),
      'protect.keys["a"] must be 32 bytes (AES-256), got 5',
    ]);
  });

  it("the known-field lists name every field of the types (a field missing from a list would fail at start-up)", () => {
    const policy: Required<ToolPolicy> = {
      identity: [],
      normalize: {},
      normalizeFromSchema: true,
      ttlMs: 0,
      leaseMs: 0,
      onInProgress: "wait",
      waitMs: 0,
      onPayloadMismatch: "replay",
      cacheErrors: false,
      onUnknownOutcome: "reexecute",
      responseId: () => undefined,
      scope: "turn",
    };
    expect([...TOOL_POLICY_FIELDS].sort()).toEqual(Object.keys(policy).sort());
    const options: Required<IdempotencyOptions> = {
      store: new MemoryStore(),
      tools: {},
      defaults: {},
      audit: [],
      clock: { now: () => 0 },
      onStoreError: "closed",
      onAuditError: () => {},
      onWarning: () => {},
      protect: { keys: {}, currentKeyId: "" },
      redact: (v) => v,
      maxRecordBytes: 1,
      instrumentation: { start: () => ({ end: () => undefined }) },
      liveDetection: false,
    };
    expect([...IDEMPOTENCY_OPTION_FIELDS].sort()).toEqual(Object.keys(options).sort());
  });

  it("closestName(): ignores case and separators, and suggests nothing far away", () => {
    expect(closestName("send_invoce", ["send_invoice", "create_ticket"])).toBe("send_invoice");
    expect(closestName("sendInvoice", ["send_invoice"])).toBe("send_invoice");
    expect(closestName("curency", ["currency", "amount"])).toBe("currency");
    expect(closestName("refund", ["send_invoice", "create_ticket"])).toBeUndefined();
  });

  it("scope: a policy may set it per tool; the engine keeps it on the resolved policy", () => {
    const fn = () => "x";
    const engine = createIdempotency({ store: new MemoryStore(), tools: { a: { scope: "thread" }, b: { scope: fn }, c: {} }, ...quiet });
    expect([engine.policy("a")?.scope, engine.policy("b")?.scope, engine.policy("c")?.scope]).toEqual(["thread", fn, undefined]);
  });
});

describe("store errors and ready()", () => {
  /** A store whose every operation fails the way a driver does. */
  function brokenStore(cause: Error): IdempotencyStore {
    const fail = async () => {
      throw cause;
    };
    return { claim: fail, complete: fail, fail, release: fail, heartbeat: fail, get: fail, close: async () => {}, setup: fail };
  }
  const refused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });

  it("IdempotencyStoreError: the message ends with the cause's own message and code", () => {
    expect(new IdempotencyStoreError("[store-x] claim failed for key k", { cause: refused() }).message).toBe(
      "[agent-idempotency] [store-x] claim failed for key k: connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)",
    );
    const pg = Object.assign(new Error('database "nosuchdb" does not exist'), { code: "3D000" });
    expect(new IdempotencyStoreError("setup failed", { cause: pg }).message).toMatch(/setup failed: database "nosuchdb" does not exist \(3D000\)$/);
    const both = Object.assign(new AggregateError([refused(), Object.assign(new Error("connect ECONNREFUSED ::1:1"), { code: "ECONNREFUSED" })], ""), { code: "ECONNREFUSED" });
    expect(causeText(both)).toBe("connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED); connect ECONNREFUSED ::1:1 (ECONNREFUSED)");
    expect(new IdempotencyStoreError("no cause").message).toBe("[agent-idempotency] no cause");
  });

  it("run(): the engine used alone warns once when an unguarded action is one typo from a policy's name; never for a tool set to false or an unrelated name", async () => {
    const warnings: string[] = [];
    const idempotency = createIdempotency({
      store: new MemoryStore(),
      tools: { send_invoce: { identity: ["invoice_id"] }, refund_card: false },
      onWarning: (m) => warnings.push(m),
    });
    let effects = 0;
    const call = (action: string) => idempotency.run({ action, args: { invoice_id: "i-1" }, sessionId: "s" }, async () => ++effects);
    await call("send_invoice");
    await call("send_invoice");
    await call("refund_cards");
    await call("refund_card");
    await call("lookup_customer");
    expect(effects).toBe(5); // all unguarded: the warning changes nothing about what runs
    expect(warnings).toEqual([
      '"send_invoice" has no policy and runs unguarded, but a policy is named "send_invoce": if that is a typo, rename the policy to "send_invoice"; if they are two tools, give "send_invoice" a policy of its own, or "send_invoice: false" to leave it unguarded without this warning',
    ]);
  });

  it("run(): a store failure's message says why, and the tool does not run", async () => {
    let runs = 0;
    const engine = createIdempotency({ store: brokenStore(refused()), tools: { book: {} }, ...quiet });
    const error = await engine.run({ action: "book", args: { slot: 1 }, sessionId: "s" }, () => ++runs).catch((e: unknown) => e);
    expect(isIdempotencyError(error, "STORE_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/claim failed for key [0-9a-f]{32}: connect ECONNREFUSED 127\.0\.0\.1:1 \(ECONNREFUSED\)$/);
    expect(runs).toBe(0);
  });

  it("ready(): sets the store up and fails fast with the driver's reason", async () => {
    const engine = createIdempotency({ store: brokenStore(Object.assign(new Error('database "nosuchdb" does not exist'), { code: "3D000" })), ...quiet });
    const error = await engine.ready().catch((e: unknown) => e);
    expect(isIdempotencyError(error, "STORE_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toBe('[agent-idempotency] ready(): the store is not usable: database "nosuchdb" does not exist (3D000)');
    let setups = 0;
    const inner = new MemoryStore();
    const store: IdempotencyStore = {
      claim: (k, r) => inner.claim(k, r),
      complete: (c, o) => inner.complete(c, o),
      fail: (c, f) => inner.fail(c, f),
      release: (c) => inner.release(c),
      heartbeat: (c, l) => inner.heartbeat(c, l),
      get: (k) => inner.get(k),
      close: () => inner.close(),
      setup: async () => void setups++,
    };
    const ok = createIdempotency({ store, ...quiet });
    await expect(ok.ready()).resolves.toBeUndefined();
    expect(setups).toBe(1);
  });
});

describe("cacheErrors", () => {
  it("run(): the predicate gets the tool's own error, once per failure, also with a single-flight waiter", async () => {
    const seen: unknown[] = [];
    const engine = createIdempotency({
      store: new MemoryStore(),
      tools: { charge: { cacheErrors: (e) => (seen.push(e), (e as { status?: number }).status === 400) } },
      ...quiet,
    });
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const call = { action: "charge", args: { order: 1 }, sessionId: "s" };
    const fn = async () => {
      runs++;
      await gate;
      throw Object.assign(new Error("upstream timeout"), { status: 504 });
    };
    const leader = engine.run(call, fn).catch((e: unknown) => e);
    const waiter = engine.run(call, fn).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 5));
    release();
    const [a, b] = await Promise.all([leader, waiter]);
    // The waiter found the failure not final, so it retried on its own: two failures, two questions.
    expect(runs).toBe(2);
    expect(seen).toHaveLength(2);
    expect(seen.every((e) => (e as { status?: number }).status === 504)).toBe(true);
    expect([(a as Error).message, (b as Error).message]).toEqual(["upstream timeout", "upstream timeout"]);
  });

  it("run(): a final failure is asked about once and the waiter gets it without running", async () => {
    let asked = 0;
    const engine = createIdempotency({ store: new MemoryStore(), tools: { charge: { cacheErrors: () => (asked++, true) } }, ...quiet });
    let runs = 0;
    const call = { action: "charge", args: { order: 2 }, sessionId: "s" };
    const fn = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 5));
      throw Object.assign(new Error("card declined"), { status: 402 });
    };
    const results = await Promise.all([engine.run(call, fn).catch((e: unknown) => e), engine.run(call, fn).catch((e: unknown) => e)]);
    expect(runs).toBe(1);
    expect(asked).toBe(1);
    expect(results.map((e) => (e as Error).message)).toEqual(["card declined", "card declined"]);
  });
});
