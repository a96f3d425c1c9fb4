import { describeStoreConformance } from "@agent-idempotency/core/testing";
import { PostgresStore } from "@agent-idempotency/store-postgres";
import { KeyvPostgres } from "@keyv/postgres";
import Keyv from "keyv";
import { afterAll, describe, inject, it } from "vitest";
import { uniqueTable } from "../../../test/support/unique-tables.js";
import { dropTables } from "./helpers.js";

const uri = inject("pgUrl");
const table = uniqueTable("conf");

describe.skipIf(!uri)("PostgresStore on a real server", () => {
  afterAll(() => dropTables(uri!, [table]));
  describeStoreConformance("PostgresStore", ({ namespace }) => new PostgresStore({ uri: uri!, table, namespace }), {
    test: { describe, it },
    openKeyv: async (_store, { namespace }) => new Keyv(new KeyvPostgres({ uri: uri!, table }), { namespace }),
  });
});
