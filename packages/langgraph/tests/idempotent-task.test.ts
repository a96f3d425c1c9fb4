/**
 * `idempotentTask` in LangGraph's functional API, with a checkpointer (MemorySaver): retried
 * invocations, interrupts and resumes, parallel tasks, task retry policies. Side effects are
 * counted in plain arrays. The crash between the effect and the checkpoint, across two processes,
 * is task-crash-resume.int.test.ts.
 */
import { createIdempotency, IdempotencyPolicyError, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import type { IdempotencyOptions } from "@agent-idempotency/core";
import { getIdempotencyKey, idempotencyHeaders, idempotentTask, REPLAY_TAG } from "@agent-idempotency/langgraph";
import { Command, entrypoint, interrupt, MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { rejected } from "../../../test/support/rejected.js";
import { RunCollector } from "../../../test/support/run-collector.js";
import { thread } from "./helpers.js";

type Order = { id: string; cents: number };

/** A charge task and what it did: every effect, with the key it was given. */
function charges(extra: Partial<IdempotencyOptions> = {}) {
  const effects: { id: string; key: string | undefined; header: string | undefined }[] = [];
  const audit = new MemoryAuditLog();
  const store = new MemoryStore();
  const idempotency = createIdempotency({ store, audit, ...extra });
  const charge = idempotentTask(
    "charge_card",
    async (order: Order) => {
      effects.push({ id: order.id, key: getIdempotencyKey(), header: idempotencyHeaders()["Idempotency-Key"] });
      return { charge_id: `ch_${effects.length}`, cents: order.cents };
    },
    { idempotency, policy: { identity: ["id"] } },
  );
  return { effects, audit, store, idempotency, charge };
}

const outcomes = (audit: MemoryAuditLog) => audit.entries.map((e) => e.outcome);

describe("idempotentTask(): retried invocations", () => {
  it("invoke(): the same order twice on one thread charges once; the key reaches the task through getIdempotencyKey()", async () => {
    const { effects, audit, charge } = charges();
    const checkout = entrypoint({ name: "checkout", checkpointer: new MemorySaver() }, async (order: Order) => charge(order));
    const first = await checkout.invoke({ id: "o-1", cents: 500 }, thread("t-retry"));
    const again = await checkout.invoke({ id: "o-1", cents: 500 }, thread("t-retry")); // the client retried the request
    expect(effects).toHaveLength(1);
    expect(again).toEqual(first);
    expect(effects[0]!.key).toMatch(/^[0-9a-f]{32}$/);
    expect(effects[0]!.header).toBe(effects[0]!.key);
    expect(audit.entries.map((e) => [e.outcome, e.idempotency_key, e.session_id])).toEqual([
      ["executed", effects[0]!.key, "t-retry"],
      ["replayed", effects[0]!.key, "t-retry"],
    ]);
    // Another thread, another order: new keys, new charges.
    await checkout.invoke({ id: "o-1", cents: 500 }, thread("t-other"));
    await checkout.invoke({ id: "o-2", cents: 500 }, thread("t-retry"));
    expect(effects).toHaveLength(3);
    expect(new Set(effects.map((e) => e.key)).size).toBe(3);
  });

  it("invoke(): a task with several arguments is keyed by their array; identity paths index it", async () => {
    const sent: string[] = [];
    const email = idempotentTask("send_email", async (to: string, body: string) => (sent.push(`${to}:${body}`), "sent"), {
      idempotency: { store: new MemoryStore() },
      policy: { identity: ["[0]"] }, // one email per recipient per thread, whatever the wording
    });
    const flow = entrypoint({ name: "notify", checkpointer: new MemorySaver() }, async (body: string) => email("ada@example.com", body));
    await flow.invoke("Your order shipped", thread("t-args"));
    await flow.invoke("Your order has shipped!", thread("t-args"));
    expect(sent).toEqual(["ada@example.com:Your order shipped"]);
  });
});

describe("idempotentTask(): interrupt and resume", () => {
  it("interrupt() inside the task, before its effect: the claim is released, and the resumed task charges once under the same key", async () => {
    const effects: (string | undefined)[] = [];
    const store = new MemoryStore();
    const audit = new MemoryAuditLog();
    const approveAndCharge = idempotentTask(
      "charge_card",
      async (order: Order) => {
        const approved = interrupt({ question: `charge ${order.cents} for ${order.id}?` });
        if (approved !== true) return { charge_id: null };
        effects.push(getIdempotencyKey());
        return { charge_id: `ch_${effects.length}` };
      },
      // cacheErrors: true, so only the passthrough keeps the interrupt from being recorded as final.
      { idempotency: { store, audit }, policy: { identity: ["id"], cacheErrors: true } },
    );
    const checkout = entrypoint({ name: "checkout", checkpointer: new MemorySaver() }, async (order: Order) => approveAndCharge(order));
    const paused = await checkout.invoke({ id: "o-1", cents: 500 }, thread("t-int"));
    expect(paused).toMatchObject({ __interrupt__: [{ value: { question: "charge 500 for o-1?" } }] });
    expect(effects).toEqual([]);
    // Released, not left in progress: the resume does not wait out a lease.
    expect(outcomes(audit)).toEqual(["failed"]);
    expect(await store.get(audit.entries[0]!.idempotency_key!)).toBeUndefined();

    const started = Date.now();
    const done = await checkout.invoke(new Command({ resume: true }), thread("t-int"));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(done).toEqual({ charge_id: "ch_1" });
    expect(effects).toHaveLength(1);
    expect(outcomes(audit)).toEqual(["failed", "executed"]); // the interrupt's attempt, then the resumed one
    expect(audit.entries[0]!.idempotency_key).toBe(effects[0]);
  });

  it("interrupt() in the entrypoint after the task: resume takes the task's result from the checkpoint; a repeat of the order replays it", async () => {
    const { effects, audit, charge } = charges();
    const checkout = entrypoint({ name: "checkout", checkpointer: new MemorySaver() }, async (order: Order) => {
      const receipt = await charge(order);
      const answer = interrupt({ question: "send the receipt, or charge again?" }) as string;
      // "again" is the user asking for the same charge: it replays, the card is charged once.
      return answer === "again" ? await charge(order) : receipt;
    });
    await checkout.invoke({ id: "o-1", cents: 500 }, thread("t-after"));
    expect(effects).toHaveLength(1);
    const resumed = await checkout.invoke(new Command({ resume: "again" }), thread("t-after"));
    expect(resumed).toEqual({ charge_id: "ch_1", cents: 500 });
    expect(effects).toHaveLength(1);
    expect(outcomes(audit)).toEqual(["executed", "replayed"]);
  });
});

describe("idempotentTask(): parallel tasks", () => {
  it("Promise.all: distinct orders charge once each; identical ones in flight charge once (single flight); a retried invocation replays them all", async () => {
    const { effects, audit, charge } = charges();
    const batch = entrypoint({ name: "batch", checkpointer: new MemorySaver() }, async (orders: Order[]) => Promise.all(orders.map((o) => charge(o))));
    const orders = [
      { id: "o-1", cents: 100 },
      { id: "o-2", cents: 200 },
      { id: "o-1", cents: 100 },
      { id: "o-3", cents: 300 },
      { id: "o-1", cents: 100 },
    ];
    const first = await batch.invoke(orders, thread("t-par"));
    expect(effects.map((e) => e.id).sort()).toEqual(["o-1", "o-2", "o-3"]);
    expect(first[0]).toEqual(first[2]);
    expect(first[0]).toEqual(first[4]);
    expect(new Set(effects.map((e) => e.key)).size).toBe(3);
    expect(outcomes(audit).sort()).toEqual(["executed", "executed", "executed", "replayed", "replayed"]);

    const again = await batch.invoke(orders, thread("t-par"));
    expect(effects).toHaveLength(3);
    expect(again).toEqual(first);
    expect(outcomes(audit).filter((o) => o === "replayed")).toHaveLength(7);
  });

  it("task retry policy: an attempt that failed after its effect (the 504 that lied) is retried under the same key", async () => {
    const keys: (string | undefined)[] = [];
    const audit = new MemoryAuditLog();
    const flaky = idempotentTask(
      { name: "charge_card", retry: { maxAttempts: 3, initialInterval: 1, jitter: false, retryOn: () => true } },
      async (order: Order) => {
        keys.push(getIdempotencyKey());
        if (keys.length < 3) throw new Error("upstream 504");
        return { charge_id: `ch_${order.id}` };
      },
      { idempotency: { store: new MemoryStore(), audit }, policy: { identity: ["id"] } },
    );
    const checkout = entrypoint({ name: "checkout", checkpointer: new MemorySaver() }, async (order: Order) => flaky(order));
    expect(await checkout.invoke({ id: "o-1", cents: 1 }, thread("t-retry-policy"))).toEqual({ charge_id: "ch_o-1" });
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1); // an upstream that honours the key charged once
    expect(outcomes(audit)).toEqual(["failed", "failed", "executed"]);
  });
});

describe("idempotentTask(): scope, options, traces", () => {
  it("without a thread (no checkpointer): duplicates within one invocation replay, another invocation runs again", async () => {
    const { effects, charge } = charges();
    const flow = entrypoint({ name: "flow" }, async (order: Order) => [await charge(order), await charge(order)]);
    await flow.invoke({ id: "o-1", cents: 1 });
    expect(effects).toHaveLength(1);
    await flow.invoke({ id: "o-1", cents: 1 });
    expect(effects).toHaveLength(2);
  });

  it("scope function: keys follow what it returns", async () => {
    const ran: string[] = [];
    const perUser = idempotentTask("welcome", async (user: string) => (ran.push(user), "sent"), {
      idempotency: { store: new MemoryStore() },
      scope: (config) => String(config.configurable?.["user_id"]),
    });
    const flow = entrypoint({ name: "welcome", checkpointer: new MemorySaver() }, async (user: string) => perUser(user));
    await flow.invoke("ada", { configurable: { thread_id: "t-a", user_id: "u-1" } });
    await flow.invoke("ada", { configurable: { thread_id: "t-b", user_id: "u-1" } }); // another thread, same user: replayed
    await flow.invoke("ada", { configurable: { thread_id: "t-c", user_id: "u-2" } });
    expect(ran).toEqual(["ada", "ada"]);
  });

  it("idempotentTask(): a missing name, function or a bad scope fails at definition with IdempotencyPolicyError", () => {
    const idempotency = { store: new MemoryStore() };
    expect(() => idempotentTask("", async () => 1, { idempotency })).toThrow(IdempotencyPolicyError);
    expect(() => idempotentTask("t", undefined as never, { idempotency })).toThrow(/function is missing/);
    expect(() => idempotentTask("t", async () => 1, { idempotency, scope: "turn" as never })).toThrow(/scope must be "thread" or a function/);
  });

  it("idempotentTask(): unknown options and policy problems fail at definition, in one error with a did-you-mean", () => {
    const e = rejected(() => idempotentTask("charge", async () => 1, { idempotency: { store: new MemoryStore() }, polcy: {}, policy: { identty: ["id"] } } as never)) as IdempotencyPolicyError;
    expect(e).toBeInstanceOf(IdempotencyPolicyError);
    expect(e.problems).toEqual(['options: unknown field "polcy" (did you mean "policy"?)', 'policy: unknown field "identty" (did you mean "identity"?)']);
    expect(e.message).toMatch(/^\[agent-idempotency\] idempotentTask charge: 2 problems/);
  });

  it("invoke(): an identity field missing from the task's arguments says so in a task's words (no model sends them)", async () => {
    const ran: unknown[] = [];
    const charge = idempotentTask("charge_card", async (order: Partial<Order>) => (ran.push(order), "charged"), { idempotency: { store: new MemoryStore() }, policy: { identity: ["id"] } });
    const checkout = entrypoint({ name: "checkout", checkpointer: new MemorySaver() }, async (order: Partial<Order>) => charge(order));
    const error = await checkout.invoke({ cents: 500 }, thread("t-missing")).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/charge_card: the identity field "id" is missing from the task's arguments; call the task with it/);
    expect((error as Error).message).not.toMatch(/model/);
    expect(ran).toEqual([]);
  });

  it("a replay is a run of its own under the task's run, tagged idempotency:replayed", async () => {
    const { charge } = charges();
    const checkout = entrypoint({ name: "checkout", checkpointer: new MemorySaver() }, async (order: Order) => charge(order));
    const tracer = new RunCollector();
    await checkout.invoke({ id: "o-1", cents: 5 }, { ...thread("t-trace"), callbacks: [tracer] });
    await checkout.invoke({ id: "o-1", cents: 5 }, { ...thread("t-trace"), callbacks: [tracer] });
    const runs = tracer.all();
    const replays = runs.filter((r) => r.tags?.includes(REPLAY_TAG));
    expect(replays.map((r) => [r.name, r.run_type, r.extra?.metadata?.idempotency_outcome])).toEqual([["charge_card", "chain", "replayed"]]);
    const parent = runs.find((r) => r.id === replays[0]!.parent_run_id);
    expect(parent?.name).toBe("charge_card"); // the task's own run
    expect(replays[0]!.outputs).toEqual({ output: { charge_id: "ch_1", cents: 5 } });
  });
});
