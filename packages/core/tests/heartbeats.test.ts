import { describe, expect, it } from "vitest";
import type { Beating } from "../src/lease.js";
import { createHeartbeats } from "../src/lease.js";
import type { Acquired } from "../src/store.js";

/** A claim as the heartbeats see it (the engine's call state), counting what happens to it. */
function beating(key: string, lost: string[]): Beating {
  return {
    heldClaim: { key } as Acquired,
    leaseMs: 30, // a tick every 5 ms, a beat after 5 ms without one
    lastBeatAt: 0,
    beatInFlight: undefined,
    beatPrev: undefined,
    beatNext: undefined,
    leaseLost: () => lost.push(key),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("createHeartbeats(): the claims of one lease length, linked through themselves", () => {
  it("createHeartbeats(): a claim stopped at the head, in the middle or at the tail sends no more beats; the others keep beating", async () => {
    const beats: string[] = [];
    const hb = createHeartbeats(async (claim) => (beats.push(claim.key), true));
    const lost: string[] = [];
    const [a, b, c, d] = ["a", "b", "c", "d"].map((k) => beating(k, lost)) as [Beating, Beating, Beating, Beating];
    try {
      for (const x of [a, b, c, d]) hb.start(x); // the list is d, c, b, a
      hb.stop(c); // the middle
      hb.stop(c); // twice: nothing more happens
      await sleep(80);
      expect(new Set(beats)).toEqual(new Set(["a", "b", "d"]));
      hb.stop(d); // the head
      hb.stop(a); // the tail
      beats.length = 0;
      await sleep(80);
      expect(new Set(beats)).toEqual(new Set(["b"]));
      hb.stop(b); // the last one
      await hb.stop(b);
      beats.length = 0;
      await sleep(40);
      expect(beats).toEqual([]);
      expect(lost).toEqual([]);
    } finally {
      hb.close();
    }
  });

  it("createHeartbeats(): every beat that finds the claim taken over calls leaseLost; a claim stopped and started again beats again", async () => {
    let alive = false;
    let beats = 0;
    const hb = createHeartbeats(async () => (beats++, alive));
    const lost: string[] = [];
    const a = beating("a", lost);
    try {
      hb.start(a);
      await sleep(40);
      hb.stop(a);
      await a.beatInFlight;
      expect(beats).toBeGreaterThan(0);
      expect(lost).toEqual(Array(beats).fill("a"));
      alive = true;
      beats = 0;
      lost.length = 0;
      hb.start(a);
      await sleep(40);
      expect(beats).toBeGreaterThan(0);
      expect(lost).toEqual([]);
    } finally {
      hb.close();
    }
  });
});
