/**
 * AuditBatcher, the write side the SQL audit sinks share: when batches go (the interval, a full
 * batch, the next tick), that they go in order and one at a time, that a failed batch stays, and
 * the bounds (maxBuffered, after close). The sinks' own suites run it against real databases.
 */
import { IdempotencyStoreError } from "@agent-idempotency/core";
import { AuditBatcher } from "@agent-idempotency/core/store";
import type { AuditBatcherOptions } from "@agent-idempotency/core/store";
import { afterEach, describe, expect, it, vi } from "vitest";

/** A batcher whose batches land in `written`; `fail` makes the next writes throw. */
function batcher(options: Partial<AuditBatcherOptions<number>> = {}) {
  const written: number[][] = [];
  const state = { fail: false, inFlight: 0, mostInFlight: 0 };
  const b = new AuditBatcher<number>({
    name: "[test]",
    target: "table t",
    batchSize: 3,
    maxBuffered: 100,
    flushIntervalMs: 100,
    writeBatch: async (batch) => {
      state.mostInFlight = Math.max(state.mostInFlight, ++state.inFlight);
      await new Promise((r) => setImmediate(r));
      state.inFlight--;
      if (state.fail) throw new Error("database down");
      written.push([...batch]);
    },
    ...options,
  });
  return { b, written, state };
}

/** Lets `n` turns of the event loop pass (setImmediate is never faked here). */
async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

afterEach(() => {
  vi.useRealTimers();
});

describe("AuditBatcher", () => {
  it("push(): entries wait for the interval after the first one, then go in batches of batchSize, in order", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { b, written } = batcher({ batchSize: 10 });
    b.push(1);
    await vi.advanceTimersByTimeAsync(60);
    b.push(2);
    expect(written).toEqual([]);
    expect(b.pending).toBe(2);
    await vi.advanceTimersByTimeAsync(39);
    await ticks(3);
    expect(written).toEqual([]);
    await vi.advanceTimersByTimeAsync(1); // 100 ms after the first entry, not the second
    await ticks(3);
    expect(written).toEqual([[1, 2]]);
    expect(b.pending).toBe(0);
    await b.close();
  });

  it("push(): a full batch goes on the next tick without waiting for the interval", async () => {
    const { b, written } = batcher({ batchSize: 3, flushIntervalMs: 60_000 });
    for (let i = 0; i < 7; i++) b.push(i);
    await vi.waitFor(() => expect(written.flat().length).toBeGreaterThanOrEqual(6));
    expect(written.slice(0, 2)).toEqual([[0, 1, 2], [3, 4, 5]]);
    await b.close();
    expect(written).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it("push(): an interval of 0 writes on the next tick", async () => {
    const { b, written } = batcher({ flushIntervalMs: 0 });
    b.push(1);
    expect(written).toEqual([]);
    await vi.waitFor(() => expect(written).toEqual([[1]]));
    await b.close();
  });

  it("flush(): batches run one at a time, in write order, even when flushes overlap", async () => {
    const { b, written, state } = batcher({ batchSize: 2 });
    for (let i = 0; i < 5; i++) b.push(i);
    const first = b.flush();
    b.push(5);
    await Promise.all([first, b.flush(), b.flush()]);
    expect(written.flat()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(state.mostInFlight).toBe(1);
    await b.close();
  });

  it("flush(): a failed batch rejects with the writer's error and stays buffered, in order, for the next attempt", async () => {
    const { b, written, state } = batcher({ batchSize: 2 });
    for (let i = 0; i < 3; i++) b.push(i);
    state.fail = true;
    await expect(b.flush()).rejects.toThrow("database down");
    expect(b.pending).toBe(3);
    b.push(3);
    state.fail = false;
    await b.flush();
    expect(written).toEqual([[0, 1], [2, 3]]);
    expect(b.pending).toBe(0);
    await b.close();
  });

  it("push(): refuses an entry once maxBuffered wait, naming the bound and the target", async () => {
    const { b, state } = batcher({ maxBuffered: 2, flushIntervalMs: 60_000 });
    state.fail = true;
    b.push(1);
    b.push(2);
    const e = (() => {
      try {
        b.push(3);
      } catch (error) {
        return error;
      }
    })();
    expect(e).toBeInstanceOf(IdempotencyStoreError);
    expect((e as Error).message).toContain("[test] audit buffer full (2 entries not yet written to table t)");
    let released = 0;
    await expect(b.close(() => void released++)).rejects.toThrow("database down"); // the connection is released all the same
    expect(released).toBe(1);
  });

  it("close(): writes what is buffered, then releases, then refuses new entries; closing twice does nothing", async () => {
    const { b, written } = batcher({ flushIntervalMs: 60_000 });
    const order: string[] = [];
    b.push(1);
    expect(b.closed).toBe(false);
    await b.close(() => void order.push(`released after ${written.flat().length}`));
    expect(b.closed).toBe(true);
    expect(order).toEqual(["released after 1"]);
    expect(() => b.push(2)).toThrow(/\[test\] audit write after close\(\)/);
    await b.close(() => void order.push("again"));
    expect(order).toEqual(["released after 1"]);
  });
});
