import { describeStoreConformance } from "@agent-idempotency/core/testing";
import { MysqlStore } from "@agent-idempotency/store-mysql";
import KeyvMysql from "@keyv/mysql";
import Keyv from "keyv";
import { afterAll, describe, inject, it } from "vitest";
import { uniqueTable } from "../../../test/support/unique-tables.js";
import { dropTables } from "./helpers.js";

const uri = inject("mysqlUrl");
const table = uniqueTable("conf");

describe.skipIf(!uri)("MysqlStore on a real server", () => {
  afterAll(() => dropTables(uri!, [table]));
  describeStoreConformance("MysqlStore", ({ namespace }) => new MysqlStore({ uri: uri!, table, namespace }), {
    test: { describe, it },
    // A plain Keyv on a plain adapter, nothing of ours: records must stay Keyv's.
    openKeyv: async (_store, { namespace }) => new Keyv(new KeyvMysql({ uri: uri!, table }), { namespace }),
  });
});
