/** PostgresStore without a server: option validation, no I/O in constructors, wrapped errors. */
import { isIdempotencyError } from "@agent-idempotency/core";
import { PostgresAuditLog, PostgresStore } from "@agent-idempotency/store-postgres";
import { describe, expect, it } from "vitest";
import { rejected } from "../../../test/support/rejected.js";
import { describeUnreachableSqlStore } from "../../../test/support/unreachable-sql-store.js";

const uri = "postgres://postgres@127.0.0.1:1/none";

describe("PostgresStore options", () => {
  it.each([
    ["table", "x; DROP TABLE y"],
    ["table", 'a"b'],
    ["table", "MyTable"],
    ["table", "1abc"],
    ["table", ""],
    ["table", "a".repeat(49)],
    ["table", "select"],
    ["schema", "user"],
    ["schema", "my schema"],
    ["namespace", ""],
    ["namespace", "a b"],
    ["namespace", "ns'); --"],
    ["namespace", ":leading"],
  ])("constructor: rejects %s %j with an error naming the option", (option, value) => {
    const e = rejected(() => new PostgresStore({ uri, [option]: value }));
    expect(isIdempotencyError(e, "STORE_FAILED")).toBe(true);
    expect(e.name).toBe("IdempotencyStoreError");
    expect(e.message).toContain(`[agent-idempotency] [store-postgres] invalid option ${option}`);
  });

  it("constructor: accepts plain identifiers and prefixes", () => {
    const store = new PostgresStore({ uri, table: "idem_2", schema: "agents", namespace: "team-a_prod.v1" });
    expect(store.tableName).toEqual({ schema: "agents", table: "idem_2" });
    expect(store.keyv.namespace).toBe("team-a_prod.v1");
    // ":" would let namespaces nest ("t" and "t:x" sharing rows)
    expect(() => new PostgresStore({ uri, namespace: "team-a:prod" })).toThrow(/no ":"/);
    expect(JSON.stringify(store)).not.toContain("postgres://");
  });

  it("constructor: needs a uri or a pool, and sane numbers", () => {
    expect(rejected(() => new PostgresStore({} as never)).message).toContain("options.uri");
    expect(rejected(() => new PostgresStore({ uri, poolSize: 0 })).message).toContain("invalid option poolSize");
    expect(rejected(() => new PostgresStore({ uri, purgeEvery: -1 })).message).toContain("invalid option purgeEvery");
    expect(rejected(() => new PostgresAuditLog({ uri, table: "Audit" })).message).toContain("invalid option table");
  });
});

describeUnreachableSqlStore({
  storeClass: "PostgresStore",
  auditClass: "PostgresAuditLog",
  name: "store-postgres",
  uri: (port) => `postgres://postgres@127.0.0.1:${port}/test`,
  store: (uri) => new PostgresStore({ uri }),
  auditLog: (uri) => new PostgresAuditLog({ uri }),
});
