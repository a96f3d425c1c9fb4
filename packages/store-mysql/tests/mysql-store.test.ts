/** MysqlStore without a server: option validation, no I/O in constructors, wrapped errors. */
import { isIdempotencyError } from "@agent-idempotency/core";
import { MysqlAuditLog, MysqlStore } from "@agent-idempotency/store-mysql";
import mysql from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { rejected } from "../../../test/support/rejected.js";
import { describeUnreachableSqlStore } from "../../../test/support/unreachable-sql-store.js";

const uri = "mysql://root@127.0.0.1:1/none";

describe("MysqlStore options", () => {
  it.each([
    ["table", "x; DROP TABLE y"],
    ["table", "a`b"],
    ["table", "MyTable"],
    ["table", "1abc"],
    ["table", ""],
    ["table", "a".repeat(49)],
    ["namespace", ""],
    ["namespace", "a b"],
    ["namespace", "ns'); --"],
    ["namespace", ":leading"],
    ["namespace", "team:prod"],
  ])("constructor: rejects %s %j with an error naming the option", (option, value) => {
    const e = rejected(() => new MysqlStore({ uri, [option]: value }));
    expect(isIdempotencyError(e, "STORE_FAILED")).toBe(true);
    expect(e.message).toContain(`[agent-idempotency] [store-mysql] invalid option ${option}`);
  });

  it("constructor: accepts plain identifiers and prefixes; reserved words are quoted, so they are fine", () => {
    const store = new MysqlStore({ uri, table: "select", namespace: "team-a_prod.v1" });
    expect(store.table).toBe("select");
    expect(store.keyv.namespace).toBe("team-a_prod.v1");
    expect(JSON.stringify(store)).not.toContain("mysql://");
  });

  it("constructor: needs a mysql URI or a pool, and sane numbers; never echoes the URI", () => {
    expect(rejected(() => new MysqlStore({} as never)).message).toContain("options.uri");
    expect(rejected(() => new MysqlStore({ uri: "postgres://x/y" })).message).toContain("scheme must be mysql:");
    expect(rejected(() => new MysqlStore({ uri: "not a url" })).message).toContain("not a URL");
    const secret = rejected(() => new MysqlStore({ uri: "http://root:s3cret@h/db" }));
    expect(secret.message).not.toContain("s3cret");
    expect(rejected(() => new MysqlStore({ uri, poolSize: 0 })).message).toContain("invalid option poolSize");
    expect(rejected(() => new MysqlStore({ uri, purgeEvery: -1 })).message).toContain("invalid option purgeEvery");
    expect(rejected(() => new MysqlStore({ pool: {} as never })).message).toContain("invalid option pool");
    expect(rejected(() => new MysqlAuditLog({ uri, table: "Audit" })).message).toContain("invalid option table");
    expect(new MysqlStore({ uri: "mariadb://root@127.0.0.1:1/none" }).ownsPool).toBe(true);
  });

  it("constructor: refuses an injected pool that turned CLIENT_FOUND_ROWS off, naming the flag", async () => {
    const pool = mysql.createPool({ uri, flags: ["-FOUND_ROWS"] });
    const e = rejected(() => new MysqlStore({ pool }));
    expect(isIdempotencyError(e, "STORE_FAILED")).toBe(true);
    expect(e.message).toContain("FOUND_ROWS");
    await pool.end();
  });
});

describeUnreachableSqlStore({
  storeClass: "MysqlStore",
  auditClass: "MysqlAuditLog",
  name: "store-mysql",
  uri: (port) => `mysql://root@127.0.0.1:${port}/test`,
  store: (uri) => new MysqlStore({ uri }),
  auditLog: (uri) => new MysqlAuditLog({ uri }),
});
