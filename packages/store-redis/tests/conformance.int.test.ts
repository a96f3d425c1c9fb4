import { describeStoreConformance } from "@agent-idempotency/core/testing";
import { RedisStore } from "@agent-idempotency/store-redis";
import KeyvRedis from "@keyv/redis";
import Keyv from "keyv";
import { describe, inject, it } from "vitest";
import { deletePrefix } from "./support/redis-admin.js";

const url = inject("redisUrl");

describe.skipIf(!url)("RedisStore (redis server)", () => {
  describeStoreConformance("RedisStore", {
    createStore: ({ namespace }) => new RedisStore({ url: url!, prefix: `sr-${namespace}` }),
    destroyStore: async (store) => void (await store.close(), await deletePrefix(url!, (store as RedisStore).prefix)),
    // A plain Keyv on a plain adapter, nothing of ours: records must stay Keyv's.
    openKeyv: async (_store, { namespace }) => new Keyv(new KeyvRedis(url!), { namespace: `sr-${namespace}` }),
    test: { describe, it },
  });
});
