/**
 * BatchedPurge, which the SQL stores share: purging batch by batch, on demand and every N writes,
 * never two background batches at once. The stores' own suites run it against real databases.
 */
import { BatchedPurge } from "@agent-idempotency/core/store";
import { describe, expect, it } from "vitest";

describe("BatchedPurge", () => {
  it("purge(): deletes batch after batch until one comes back short, and answers the total", async () => {
    let left = 7;
    const calls: [string, number][] = [];
    const purger = new BatchedPurge(
      async (prefix, before) => {
        calls.push([prefix, before]);
        const n = Math.min(3, left);
        left -= n;
        return n;
      },
      { every: 0, batch: 3 },
      "ns:",
    );
    expect(await purger.purge("other:", 42)).toBe(7);
    expect(calls).toEqual([["other:", 42], ["other:", 42], ["other:", 42]]);
  });

  it("wrote(): every `every`-th write starts one background batch on the store's prefix, never two at once", async () => {
    const started: string[] = [];
    let finish!: () => void;
    const purger = new BatchedPurge(
      (prefix) => {
        started.push(prefix);
        return new Promise<number>((resolve) => (finish = () => resolve(1)));
      },
      { every: 2, batch: 500 },
      "ns:",
    );
    purger.wrote();
    expect(started).toEqual([]);
    purger.wrote();
    expect(started).toEqual(["ns:"]);
    purger.wrote();
    purger.wrote(); // the fourth write: a batch is still running, so none starts
    expect(started).toEqual(["ns:"]);
    let idle = false;
    const waiting = purger.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    finish();
    await waiting;
    purger.wrote();
    purger.wrote();
    expect(started).toEqual(["ns:", "ns:"]);
    finish();
    await purger.idle();
  });

  it("wrote(): a failing background batch is swallowed, and every: 0 never starts one", async () => {
    const failing = new BatchedPurge(() => Promise.reject(new Error("down")), { every: 1, batch: 1 }, "ns:");
    failing.wrote();
    await expect(failing.idle()).resolves.toBeUndefined();
    let calls = 0;
    const off = new BatchedPurge(async () => ++calls, { every: 0, batch: 1 }, "ns:");
    for (let i = 0; i < 10; i++) off.wrote();
    expect(calls).toBe(0);
  });
});
