/**
 * Acceptance 3 across real processes: the first process is SIGKILLed after book_calendar ran
 * (and, with IdempotentToolNode, after its outcome was recorded) but before the tools node's
 * checkpoint; a second process resumes the thread from PostgresSaver with invoke(null). The
 * booking is counted in a file both processes append to. Needs the built dist/ (pnpm run build).
 */
import { afterAll, describe, expect, it } from "vitest";
import { crashHarness } from "./crash-harness.js";

type Result = { done: true; answers: { id: string; content: string; meta: { replayed: boolean } | null }[]; last: string };

const harness = crashHarness<Result, "stock" | "idempotent">("crash-worker.mjs", "crash");

describe.skipIf(!harness.ready)("crash and resume across two processes (PostgresSaver + PostgresStore)", () => {
  afterAll(() => harness.cleanup());

  it("invoke(null) after SIGKILL: IdempotentToolNode replays the recorded booking (one effect)", async () => {
    const { effects: bookings, result } = await harness.crashThenResume("idempotent");
    expect(bookings).toEqual(["10:00"]);
    expect(result.last).toBe("done");
    expect(result.answers.find((a) => a.id === "c1")).toMatchObject({ content: "booked 10:00", meta: { replayed: true } });
  });

  it("invoke(null) after SIGKILL: the stock ToolNode books again (two effects)", async () => {
    const { effects: bookings } = await harness.crashThenResume("stock");
    expect(bookings).toEqual(["10:00", "10:00"]);
  });
});
