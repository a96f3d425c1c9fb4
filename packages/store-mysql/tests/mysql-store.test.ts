/** MysqlStore without a server: option validation, no I/O in constructors, wrapped errors. */
import { isIdempotencyError } from "@agent-idempotency/core";
import { claimRequest } from "@agent-idempotency/core/testing";
import { MysqlAuditLog, MysqlStore } from "@agent-idempotency/store-mysql";
import mysql from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { closedPort } from "./helpers.js";

const uri = "mysql://root@127.0.0.1:1/none";

function rejected(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

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

describe("MysqlStore with no server listening", () => {
  it("claim(): fails with IdempotencyStoreError carrying the driver error, after a constructor that did no I/O", async () => {
    const port = await closedPort();
    const store = new MysqlStore({ uri: `mysql://root@127.0.0.1:${port}/test` });
    const e = await store.claim("k1", claimRequest()).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(isIdempotencyError(e, "STORE_FAILED")).toBe(true);
    expect(e?.message).toMatch(/^\[agent-idempotency\] \[store-mysql\] (claim|setup) failed/);
    expect((e?.cause as { code?: string })?.code).toBe("ECONNREFUSED");
    await expect(store.get("k1")).rejects.toMatchObject({ name: "IdempotencyStoreError" });
    // Keyv reads through the same pool must throw too, not turn the failure into a miss.
    await expect(store.keyv.get("k1")).rejects.toBeTruthy();
    await store.close();
    await store.close();
  });

  it("MysqlAuditLog: write() never throws, flush() reports the failure and keeps the entries", async () => {
    const port = await closedPort();
    const log = new MysqlAuditLog({ uri: `mysql://root@127.0.0.1:${port}/test` });
    const entry = { ts: 1, action_type: "a", outcome: "executed" as const, session_id: "s", fingerprint: "f", attempt: 1, duration_ms: 1 };
    log.write(entry);
    log.write({ ...entry, ts: 2 });
    const e = await log.flush().then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e?.name).toBe("IdempotencyStoreError");
    expect(log.pending).toBe(2);
    await expect(log.close()).rejects.toMatchObject({ name: "IdempotencyStoreError" });
    expect(() => log.write(entry)).toThrow(/after close/);
  });
});
