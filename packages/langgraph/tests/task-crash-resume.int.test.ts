/**
 * A functional-API task killed between its effect and LangGraph's checkpoint, across real
 * processes: the first process is SIGKILLed after charge_card charged (and, with idempotentTask,
 * after the charge was recorded) but before the task's result was written; a second process
 * resumes the thread from PostgresSaver with invoke(null). Every charge is a line in a file both
 * processes append to. Needs the built dist/ (pnpm run build).
 */
import { afterAll, describe, expect, it } from "vitest";
import { crashHarness } from "./crash-harness.js";

type Result = { done: true; out: { receipt: { charge_id: string; cents: number } }; outcomes: string[] };

const harness = crashHarness<Result, "stock" | "idempotent" | "unrecorded">("task-crash-worker.mjs", "task-crash");

describe.skipIf(!harness.ready)("a task killed after its effect, resumed in another process (PostgresSaver + PostgresStore)", () => {
  afterAll(() => harness.cleanup());

  it("invoke(null) after SIGKILL: idempotentTask replays the recorded charge (one effect)", async () => {
    const { effects: charges, result } = await harness.crashThenResume("idempotent");
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatch(/^o-1 [0-9a-f]{32}$/);
    expect(result.out).toEqual({ receipt: { charge_id: "ch_o-1", cents: 500 } });
    expect(result.outcomes).toEqual(["replayed"]); // from our store: LangGraph had no result to resume with
  });

  it("invoke(null) after SIGKILL before the record: idempotentTask waits out the lease and charges again under the SAME key", async () => {
    // The outcome is unknown (the default onUnknownOutcome re-executes): an upstream that honours
    // the key dedupes this second charge; one that does not is what reconcile is for.
    const { effects: charges, result } = await harness.crashThenResume("unrecorded");
    expect(charges).toHaveLength(2);
    expect(charges[1]).toBe(charges[0]);
    expect(charges[0]).toMatch(/^o-1 [0-9a-f]{32}$/);
    expect(result.outcomes).toEqual(["lease_lost", "executed"]);
  });

  it("invoke(null) after SIGKILL: the stock task charges again (two effects)", async () => {
    const { effects: charges } = await harness.crashThenResume("stock");
    expect(charges).toEqual(["o-1 -", "o-1 -"]);
  });
});
