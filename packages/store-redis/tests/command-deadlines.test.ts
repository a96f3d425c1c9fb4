import { describe, expect, it } from "vitest";
import { CommandDeadlines } from "../src/command-deadlines.js";

describe("CommandDeadlines", () => {
  it("track(): passes replies and errors through unchanged", async () => {
    const deadlines = new CommandDeadlines(10_000);
    expect(await deadlines.track(Promise.resolve("OK"))).toBe("OK");
    const boom = new Error("WRONGTYPE");
    await expect(deadlines.track(Promise.reject(boom))).rejects.toBe(boom);
    deadlines.stop();
  });

  it("track(): fails a command that gets no reply within the timeout, and only that one", async () => {
    const deadlines = new CommandDeadlines(50);
    const never = deadlines.track(new Promise<string>(() => undefined));
    let answer!: (v: string) => void;
    const late = deadlines.track(new Promise<string>((resolve) => (answer = resolve)));
    await expect(never).rejects.toThrow("Redis did not answer within 50 ms");
    await expect(late).rejects.toThrow("Redis did not answer within 50 ms");
    answer("too late"); // a reply after the deadline changes nothing
    const quick = deadlines.track(new Promise<string>((resolve) => setTimeout(() => resolve("fast"), 5)));
    expect(await quick).toBe("fast");
    deadlines.stop();
  });
});
