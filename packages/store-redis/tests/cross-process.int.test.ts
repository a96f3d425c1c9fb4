/**
 * Issue 3's acceptance on Redis: real processes (forked, importing the built dist/), one server.
 * Build first: `npx tsc -b packages/store-redis`.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { crossProcessRace } from "@agent-idempotency/core/testing";
import { afterAll, describe, expect, inject, it } from "vitest";
import { deletePrefix, uniquePrefix } from "./support/redis-admin.js";

const url = inject("redisUrl");
const dist = new URL("../dist/index.js", import.meta.url);

describe.skipIf(!url)("RedisStore across 4 processes", () => {
  const prefixes: string[] = [];
  const store = (tag: string) => {
    const prefix = uniquePrefix(tag);
    prefixes.push(prefix);
    if (!existsSync(fileURLToPath(dist))) throw new Error("build packages/store-redis first (npx tsc -b packages/store-redis)");
    // 50 racers x 100 keys put 5000 claims in each process's client queue at once, on a shared
    // machine; a command's timeout counts its time in that queue, so the race gets room. The
    // default (10 s) is meant for real traffic; a timeout could only fail a claim, never double it.
    return { module: dist.href, export: "RedisStore", options: { url: url!, prefix, commandTimeoutMs: 120_000 } };
  };
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(url!, p);
  });

  it("claim(): 4 processes x 50 concurrent claims on each of 100 keys: exactly one winner per key", async () => {
    const r = await crossProcessRace({ store: store("race-claim"), mode: "claim", processes: 4, concurrency: 50, keys: 100 });
    expect(r.errors).toEqual([]);
    expect(r.winnersPerKey).toHaveLength(100);
    expect(r.winnersPerKey.filter((n) => n === 1)).toHaveLength(100);
  }, 180_000);

  it("claim(): an expired lease on each of 100 keys is taken over exactly once, and the stale holders' complete returns false", async () => {
    const r = await crossProcessRace({ store: store("race-takeover"), mode: "takeover", processes: 4, concurrency: 50, keys: 100 });
    expect(r.errors).toEqual([]);
    expect(r.winnersPerKey.filter((n) => n === 1)).toHaveLength(100);
    expect(r.staleCompletes).toBe(0);
  }, 180_000);

  it("run(): 4 processes x 50 concurrent run() calls of one action: the side effect runs once, everyone gets its result", async () => {
    const r = await crossProcessRace({ store: store("race-engine"), mode: "engine", processes: 4, concurrency: 50 });
    expect(r.errors).toEqual([]);
    expect(r.effects).toBe(1);
    expect(r.distinctValues).toBe(1);
  }, 180_000);
});
