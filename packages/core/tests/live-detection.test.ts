/**
 * Live detection in one process (two engines on one store stand for two processes; the forked
 * proof is the cross-process suite's "live" case on every store).
 */
import { describe, expect, it } from "vitest";
import type { DetectedRepeat, Idempotency, IdempotencyOptions } from "@agent-idempotency/core";
import { claimRepeatWindow } from "@agent-idempotency/core/internal";
import { createIdempotency, IdempotencyPolicyError, isIdempotencyError, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import { FakeClock } from "@agent-idempotency/core/testing";

function setup(liveDetection: IdempotencyOptions["liveDetection"], warnings: string[] = []) {
  const clock = new FakeClock();
  const store = new MemoryStore();
  const audit = new MemoryAuditLog();
  const make = (): Idempotency => createIdempotency({ store, clock, audit, liveDetection, tools: { send_email: { identity: ["to", "body"] } }, onWarning: (m) => warnings.push(m) });
  return { clock, store, audit, a: make(), b: make(), warnings };
}

const args = { to: "ada@example.com", body: "hello" };
/** One send in `scope` (a turn): its side effects are counted in `sent`. */
function send(engine: Idempotency, sent: string[], scope: string, turn?: string) {
  return engine.run({ action: "send_email", args, sessionId: "t-1", scope, turn }, async ({ key }) => {
    sent.push(key!);
    return { message_id: `m_${sent.length}` };
  });
}

describe("liveDetection", () => {
  it("run(): off by default: the same call in a new turn runs with no check and no store round trip for it", async () => {
    const { a, b, store } = setup(undefined);
    const sent: string[] = [];
    await send(a, sent, "turn-1");
    await send(b, sent, "turn-2");
    expect(sent).toHaveLength(2);
    const keys: string[] = [];
    for await (const r of store.list()) keys.push(r.key);
    expect(keys.some((k) => k.startsWith("repeat:"))).toBe(false);
  });

  it("run(): onRepeat \"refuse\": the second key's call does not run, its claim is released, and both entries say why", async () => {
    const { a, b, audit, clock } = setup({ onRepeat: "refuse" });
    const sent: string[] = [];
    const first = await send(a, sent, "turn-1");
    clock.advance(10_000);
    const refused = await send(b, sent, "turn-2").catch((e: unknown) => e);
    expect(isIdempotencyError(refused, "REPEAT_REFUSED")).toBe(true);
    expect((refused as Error).message).toContain(`under key ${first.key}`);
    expect(sent).toEqual([first.key]);
    const last = audit.entries.at(-1)!;
    expect(last).toMatchObject({ outcome: "failed", repeat_of: first.key, repeat_decision: "refuse", scope: "turn-2", key_sent: true });
    // released, not recorded: once the window is over, the same call runs.
    clock.advance(60_000);
    const again = await send(b, sent, "turn-2");
    expect(again.outcome).toBe("executed");
    expect(sent).toHaveLength(2);
  });

  it("run(): a retry under the SAME key is not a repeat (a released failure), nor is a replay", async () => {
    const { a, b, audit } = setup({ onRepeat: "refuse" });
    const sent: string[] = [];
    await expect(a.run({ action: "send_email", args, sessionId: "t-1", scope: "turn-1" }, async () => { throw new Error("504"); })).rejects.toThrow("504");
    await send(b, sent, "turn-1");
    await send(a, sent, "turn-1");
    expect(sent).toHaveLength(1);
    expect(audit.entries.map((e) => [e.outcome, e.repeat_of])).toEqual([["failed", undefined], ["executed", undefined], ["replayed", undefined]]);
  });

  it("run(): \"warn\" (the default with true) warns and runs; the entry records the repeat and the decision", async () => {
    const warnings: string[] = [];
    const { a, b, audit } = setup(true, warnings);
    const sent: string[] = [];
    const first = await send(a, sent, "turn-1");
    const second = await send(b, sent, "turn-2");
    expect(sent).toHaveLength(2);
    expect(warnings.join("\n")).toContain(`executed 0 s ago under key ${first.key} (new scope); running it again under key ${second.key}`);
    expect(audit.entries.at(-1)).toMatchObject({ outcome: "executed", repeat_of: first.key, repeat_decision: "proceed" });
  });

  it("run(): a hook receives both executions and the kind of repeat, and decides", async () => {
    const seen: DetectedRepeat[] = [];
    const { a, b, clock } = setup({ windowMs: 30_000, onRepeat: (r) => (seen.push(r), r.kind === "new_scope" ? "proceed" : "refuse") });
    const sent: string[] = [];
    const first = await send(a, sent, "turn-1", "1:aaaa");
    clock.advance(5_000);
    await send(b, sent, "turn-2", "2:bbbb"); // a new turn: the hook lets it run
    clock.advance(5_000);
    const explicit = b.run({ action: "send_email", args, sessionId: "t-1", scope: "turn-1", key: "client-key-2" }, async () => sent.push("explicit"));
    await expect(explicit).rejects.toMatchObject({ code: "REPEAT_REFUSED" }); // same scope, another key: broken
    const retry = send(b, sent, "turn-1-new-id", "1:aaaa"); // the same turn under a new message id
    await expect(retry).rejects.toMatchObject({ code: "REPEAT_REFUSED" });
    expect(sent).toHaveLength(2);
    expect(seen.map((r) => [r.kind, r.previous.key, r.ageMs])).toEqual([
      ["new_scope", first.key, 5_000],
      ["same_scope", first.key, 10_000],
      ["turn_id_changed", first.key, 10_000],
    ]);
    expect(seen[0]).toMatchObject({ action: "send_email", args, scope: "turn-2", sessionId: "t-1", turn: "2:bbbb", previous: { scope: "turn-1", turn: "1:aaaa" } });
    // outside the window the same call is no repeat
    clock.advance(30_000);
    await send(b, sent, "turn-3");
    expect(seen).toHaveLength(3);
  });

  it("run(): a hook that throws (an interrupt) releases the claim; the entry says deferred; the next call asks again", async () => {
    class Pause extends Error {}
    let answer: "pause" | "proceed" = "pause";
    const calls: string[] = [];
    const { a, b, audit } = setup({
      onRepeat: () => {
        calls.push(answer);
        if (answer === "pause") throw new Pause("ask a person");
        return "proceed";
      },
    });
    const sent: string[] = [];
    await send(a, sent, "turn-1");
    const call = () => b.run({ action: "send_email", args, sessionId: "t-1", scope: "turn-2", passthrough: (e) => e instanceof Pause }, async ({ key }) => (sent.push(key!), "ok"));
    await expect(call()).rejects.toBeInstanceOf(Pause);
    expect(audit.entries.at(-1)).toMatchObject({ outcome: "failed", repeat_decision: "deferred" });
    answer = "proceed";
    expect((await call()).outcome).toBe("executed");
    expect(calls).toEqual(["pause", "proceed"]);
    expect(sent).toHaveLength(2);
  });

  it("run(): a refusal is never recorded as the call's failure, even with cacheErrors", async () => {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const engine = createIdempotency({ store, clock, liveDetection: { onRepeat: "refuse" }, tools: { send_email: { identity: ["to"], cacheErrors: true } }, onWarning: () => {} });
    await engine.run({ action: "send_email", args, sessionId: "t-1", scope: "turn-1" }, async () => "sent");
    const second = { action: "send_email", args, sessionId: "t-1", scope: "turn-2" };
    await expect(engine.run(second, async () => "sent")).rejects.toMatchObject({ code: "REPEAT_REFUSED" });
    expect(await store.get(engine.deriveKey(second)!.key)).toBeUndefined();
  });

  it("run(): a store that fails the window's claim warns and runs the call (detection is advice)", async () => {
    const warnings: string[] = [];
    const inner = new MemoryStore();
    const store = Object.assign(Object.create(inner) as MemoryStore, {
      claim: (key: string, req: Parameters<MemoryStore["claim"]>[1]) => (key.startsWith("repeat:") ? Promise.reject(new Error("connection reset")) : inner.claim(key, req)),
    });
    const engine = createIdempotency({ store, liveDetection: true, tools: { send_email: {} }, onWarning: (m) => warnings.push(m) });
    expect((await engine.run({ action: "send_email", args, sessionId: "t-1" }, async () => "sent")).outcome).toBe("executed");
    expect(warnings.join("\n")).toMatch(/live detection could not check send_email .*connection reset; the call runs/);
  });

  it("createIdempotency(): a misconfigured liveDetection fails at start-up and names the fix", () => {
    const store = new MemoryStore();
    for (const [liveDetection, message] of [
      [{ windowMs: 0 }, /liveDetection.windowMs must be a positive number/],
      [{ onRepeat: "ask" }, /liveDetection.onRepeat must be "warn", "refuse" or a function/],
      [{ windowMS: 1000 }, /liveDetection: unknown field "windowMS".*windowMs/],
      ["yes", /liveDetection must be true, false or/],
    ] as const) {
      expect(() => createIdempotency({ store, liveDetection: liveDetection as never })).toThrow(IdempotencyPolicyError);
      expect(() => createIdempotency({ store, liveDetection: liveDetection as never })).toThrow(message);
    }
  });

  it("claimRepeatWindow(): one of 20 concurrent executions under 20 keys holds the window; the others see it", async () => {
    const store = new MemoryStore();
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => claimRepeatWindow(store, { action: "a", fingerprint: "f", sessionId: "s", key: `k-${i}`, scope: `sc-${i}`, now, windowMs: 1000 })),
    );
    const holders = results.filter((r) => r === undefined);
    expect(holders).toHaveLength(1);
    const holder = results.find((r) => r !== undefined)!.key;
    expect(results.every((r) => r === undefined || (r.key === holder && r.executedAt === now))).toBe(true);
  });
});
