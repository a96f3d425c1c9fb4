/**
 * RedisStore on a real Redis Cluster (3 masters, 3 replicas: started by the test run's global
 * setup, or the nodes in IDEMPOTENCY_REDIS_CLUSTER_URL): the conformance suite, and the
 * cross-process race (build first: `npx tsc -b packages/store-redis`).
 */
import { describeCrossProcessRace, describeStoreConformance } from "@agent-idempotency/core/testing";
import { RedisStore } from "@agent-idempotency/store-redis";
import KeyvRedis, { createCluster } from "@keyv/redis";
import Keyv from "keyv";
import { afterAll, describe, inject, it } from "vitest";
import { deleteClusterPrefix, uniquePrefix } from "./support/redis-admin.js";

const rootNodes = inject("redisClusterNodes");
const dist = new URL("../dist/index.js", import.meta.url).href;
const prefixes: string[] = [];

describe.skipIf(!rootNodes)("RedisStore (Redis Cluster)", () => {
  afterAll(async () => {
    for (const p of prefixes) await deleteClusterPrefix(rootNodes!, p);
  });
  describeStoreConformance("RedisStore on a cluster", {
    createStore: ({ namespace }) => {
      prefixes.push(`src-${namespace}`);
      return new RedisStore({ rootNodes: rootNodes!, prefix: `src-${namespace}` });
    },
    // A plain Keyv on a plain adapter over its own cluster client: records must stay Keyv's.
    openKeyv: async (_store, { namespace }) => {
      const cluster = createCluster({ rootNodes: rootNodes!.map((url) => ({ url })) });
      const keyv = new Keyv(new KeyvRedis(cluster), { namespace: `src-${namespace}` });
      return { get: (k: string) => keyv.get(k), disconnect: () => keyv.disconnect() };
    },
    test: { describe, it },
  });

  if (rootNodes) {
    describeCrossProcessRace(
      "RedisStore on a cluster",
      (mode) => {
        const prefix = uniquePrefix(`crace-${mode}`);
        prefixes.push(prefix);
        return { module: dist, export: "RedisStore", options: { rootNodes, prefix, commandTimeoutMs: 120_000 } };
      },
      { test: { describe, it } },
    );
  }
});
