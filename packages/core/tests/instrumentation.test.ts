import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import type { CallEnd, CallStart, IdempotencyInstrumentation, IdempotencyOptions, IdempotencyStore } from "@agent-idempotency/core";
import { createIdempotency, IdempotencyStoreError, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import { FakeClock } from "@agent-idempotency/core/testing";

/** A hook that keeps every start and end, and the audit log the same engine writes. */
function observed(tools: IdempotencyOptions["tools"] = { book: { identity: ["id"] } }, extra: Partial<IdempotencyOptions> = {}) {
  const starts: CallStart[] = [];
  const ends: CallEnd[] = [];
  const instrumentation: IdempotencyInstrumentation = {
    start: (s) => (starts.push(s), { end: (e) => void ends.push(e) }),
  };
  const clock = new FakeClock();
  const audit = new MemoryAuditLog();
  const store = extra.store ?? new MemoryStore();
  const warnings: string[] = [];
  const make = () => createIdempotency({ store, clock, audit, tools, instrumentation, onWarning: (m) => void warnings.push(m), ...extra });
  return { starts, ends, audit, clock, store, warnings, a: make(), b: make() };
}

/** The fields an end shares with its audit entry. */
const asEntry = (e: CallEnd) => [e.action, e.key, e.outcome, e.attempt];
const entries = (audit: MemoryAuditLog) => audit.entries.map((e) => [e.action_type, e.idempotency_key, e.outcome, e.attempt]);
const call = (id: unknown, sessionId = "s") => ({ action: "book", args: { id }, sessionId, toolCallId: `c-${String(id)}` });

describe("instrumentation: one start and one end per call, agreeing with the audit log", () => {
  it("run(): executed, then replayed from the store, then 20 concurrent calls (one leader, 19 single-flight waiters)", async () => {
    const { starts, ends, audit, a } = observed();
    let effects = 0;
    const fn = async () => ({ n: ++effects });
    const first = await a.run(call(1), fn);
    await a.run(call(1), fn);
    await Promise.all(Array.from({ length: 20 }, () => a.run(call(2), async () => (await new Promise((r) => setTimeout(r, 5)), { n: ++effects }))));

    expect(effects).toBe(2);
    expect(starts).toHaveLength(22);
    expect(starts[0]).toEqual({ action: "book", guarded: true, sessionId: "s", toolCallId: "c-1" });
    expect(ends).toHaveLength(22);
    expect(ends.slice(0, 2).map((e) => [e.key, e.outcome, e.replayed, e.attempt])).toEqual([
      [first.key, "executed", false, 1],
      [first.key, "replayed", true, 1],
    ]);
    expect(ends.filter((e) => e.outcome === "replayed" && e.replayed)).toHaveLength(20);
    expect(ends.every((e) => e.error === undefined && e.guarded && e.durationMs >= 0)).toBe(true);
    expect(ends.map(asEntry).sort()).toEqual(entries(audit).sort());
  });

  it("run(): a tool that throws ends failed with its key, attempt and error; the retry executes under the same key", async () => {
    const { ends, audit, a } = observed();
    const boom = new Error("504");
    await expect(a.run(call(1), () => Promise.reject(boom))).rejects.toBe(boom);
    const ok = await a.run(call(1), async () => "booked");
    expect(ends.map((e) => [e.key, e.outcome, e.replayed, e.error])).toEqual([
      [ok.key, "failed", false, boom],
      [ok.key, "executed", false, undefined],
    ]);
    expect(ends.map(asEntry)).toEqual(entries(audit));
  });

  it("run(): a failure recorded with cacheErrors is rethrown as a replay (failed, replayed, the tool not run)", async () => {
    const { ends, audit, a } = observed({ book: { identity: ["id"], cacheErrors: true } });
    let runs = 0;
    const fn = async () => {
      runs++;
      throw new Error("card declined");
    };
    await expect(a.run(call(1), fn)).rejects.toThrow("card declined");
    await expect(a.run(call(1), fn)).rejects.toMatchObject({ code: "RECORDED_ERROR" });
    expect(runs).toBe(1);
    expect(ends.map((e) => [e.outcome, e.replayed, e.attempt])).toEqual([
      ["failed", false, 1],
      ["failed", true, 1],
    ]);
    expect(ends[1]!.key).toBe(ends[0]!.key);
    expect(ends.map(asEntry)).toEqual(entries(audit));
  });

  it("run(): refusals end with the outcome the audit log gives them: in_progress, mismatch, a scope error", async () => {
    const { ends, audit, a, b } = observed({ book: { identity: ["id"], onInProgress: "error", onPayloadMismatch: "error" } });
    let release!: () => void;
    const holding = a.run(call(1), () => new Promise<string>((r) => (release = () => r("done"))));
    await new Promise((r) => setTimeout(r, 5));
    await expect(b.run(call(1), async () => "again")).rejects.toMatchObject({ code: "IN_PROGRESS" });
    release();
    const held = await holding;
    await expect(b.run({ ...call(1), args: { id: 1, note: "other" } }, async () => "x")).rejects.toMatchObject({ code: "PAYLOAD_MISMATCH" });
    await expect(b.run({ ...call(1), key: held.key!, sessionId: "other" }, async () => "x")).rejects.toMatchObject({ code: "SCOPE_MISMATCH" });
    expect(ends.map((e) => [e.outcome, e.key === held.key, e.replayed])).toEqual([
      ["in_progress", true, false],
      ["executed", true, false],
      ["mismatch", true, false],
      ["failed", true, false],
    ]);
    expect(ends.map(asEntry).sort()).toEqual(entries(audit).sort());
  });

  it("run(): a store that throws (fail-closed) ends failed with the derived key; the tool never ran", async () => {
    const broken = new Proxy(new MemoryStore(), {
      get: (t, p) => (p === "claim" ? () => Promise.reject(new Error("ECONNREFUSED")) : Reflect.get(t, p, t)),
    }) as IdempotencyStore;
    const { ends, audit, a } = observed(undefined, { store: broken });
    let runs = 0;
    await expect(a.run(call(1), async () => ++runs)).rejects.toBeInstanceOf(IdempotencyStoreError);
    expect(runs).toBe(0);
    expect(ends.map((e) => [e.outcome, typeof e.key, e.replayed])).toEqual([["failed", "string", false]]);
    expect(ends.map(asEntry)).toEqual(entries(audit));
  });

  it("run(): an unguarded tool ends unguarded without a key; arguments that cannot be keyed end failed without one", async () => {
    const { starts, ends, a } = observed({ book: { identity: ["id"] } });
    await a.run({ action: "lookup", args: { q: 1 }, sessionId: "s" }, async () => "found");
    await expect(a.run({ action: "book", args: {}, sessionId: "s" }, async () => "x")).rejects.toMatchObject({ code: "KEY_INVALID" });
    expect(starts.map((s) => [s.action, s.guarded])).toEqual([["lookup", false], ["book", true]]);
    expect(ends.map((e) => [e.action, e.outcome, e.key, e.guarded])).toEqual([
      ["lookup", "unguarded", undefined, false],
      ["book", "failed", undefined, true],
    ]);
  });
});

describe("instrumentation: context and safety", () => {
  it("run(): the observer's run() wraps the claim and the tool, so the tool sees the observer's context", async () => {
    const als = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const instrumentation: IdempotencyInstrumentation = {
      start: (s) => ({ run: (next) => als.run(`span:${s.action}`, next), end: () => seen.push(als.getStore()) }),
    };
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: { book: true }, instrumentation });
    const out = await idempotency.run(call(1), async () => (await new Promise((r) => setTimeout(r, 1)), als.getStore()));
    expect(out.value).toBe("span:book");
  });

  it("run(): a hook that throws in start, run or end never changes the outcome, and is reported", async () => {
    for (const where of ["start", "run", "end"] as const) {
      const warnings: string[] = [];
      const boom = () => {
        throw new Error(`hook ${where}`);
      };
      const instrumentation: IdempotencyInstrumentation = {
        start: () => (where === "start" ? boom() : { run: where === "run" ? boom : (next) => next(), end: where === "end" ? boom : () => {} }),
      };
      const idempotency = createIdempotency({ store: new MemoryStore(), tools: { book: true }, instrumentation, onWarning: (m) => void warnings.push(m) });
      let runs = 0;
      const out = await idempotency.run(call(1), async () => ++runs);
      expect([out.outcome, out.value, runs]).toEqual(["executed", 1, 1]);
      expect(warnings).toEqual([expect.stringContaining(`instrumentation ${where} threw (hook ${where})`)]);
    }
  });

  it("createIdempotency(): without the option, run is the engine's own function; extend() keeps the hook", async () => {
    const plain = createIdempotency({ store: new MemoryStore(), tools: { book: true } });
    expect(plain.run.name).toBe("run");
    const { ends, a } = observed();
    await a.extend({ tools: { charge: true } }).run({ action: "charge", args: { id: 1 }, sessionId: "s" }, async () => "ok");
    expect(ends.map((e) => [e.action, e.outcome])).toEqual([["charge", "executed"]]);
  });
});
