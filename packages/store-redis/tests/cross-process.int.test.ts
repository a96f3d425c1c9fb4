/**
 * Issue 3's cross-process acceptance on Redis: real processes (forked, importing the built dist/),
 * one server. Build first: `npx tsc -b packages/store-redis`.
 */
import { describeCrossProcessRace } from "@agent-idempotency/core/testing";
import { afterAll, describe, inject, it } from "vitest";
import { deletePrefix, uniquePrefix } from "./support/redis-admin.js";

const url = inject("redisUrl");
const dist = new URL("../dist/index.js", import.meta.url).href;
const prefixes: string[] = [];

if (url) {
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(url, p);
  });
  describeCrossProcessRace(
    "RedisStore",
    (mode) => {
      const prefix = uniquePrefix(`race-${mode}`);
      prefixes.push(prefix);
      // 50 racers x 100 keys put 5000 claims in each process's client queue at once, on a shared
      // machine; a command's timeout counts its time in that queue, so the race gets room. The
      // default (10 s) is meant for real traffic; a timeout could only fail a claim, never double it.
      return { module: dist, export: "RedisStore", options: { url, prefix, commandTimeoutMs: 120_000 } };
    },
    { test: { describe, it } },
  );
} else describe.skip("RedisStore: cross-process race (no Redis)", () => it("skipped", () => undefined));
