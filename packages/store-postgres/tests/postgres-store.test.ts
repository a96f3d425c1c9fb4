/** PostgresStore without a server: option validation, no I/O in constructors, wrapped errors. */
import { isIdempotencyError } from "@agent-idempotency/core";
import { claimRequest } from "@agent-idempotency/core/testing";
import { PostgresAuditLog, PostgresStore } from "@agent-idempotency/store-postgres";
import { describe, expect, it } from "vitest";
import { closedPort } from "./helpers.js";

const uri = "postgres://postgres@127.0.0.1:1/none";

function rejected(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

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

describe("PostgresStore with no server listening", () => {
  it("claim(): fails with IdempotencyStoreError carrying the driver error, after a constructor that did no I/O", async () => {
    const port = await closedPort();
    const store = new PostgresStore({ uri: `postgres://postgres@127.0.0.1:${port}/test` });
    const e = await store.claim("k1", claimRequest()).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e?.name).toBe("IdempotencyStoreError");
    expect(isIdempotencyError(e, "STORE_FAILED")).toBe(true);
    expect(e?.message).toMatch(/^\[agent-idempotency\] \[store-postgres\] (claim|setup) failed/);
    expect((e?.cause as { code?: string })?.code).toBe("ECONNREFUSED");
    await expect(store.get("k1")).rejects.toMatchObject({ name: "IdempotencyStoreError" });
    // Keyv reads through the same pool must throw too, not turn the failure into a miss.
    await expect(store.keyv.get("k1")).rejects.toBeTruthy();
    await store.close();
    await store.close();
    await expect(store.get("k1")).rejects.toThrow(/get after close\(\)/);
  });

  it("PostgresAuditLog: write() never throws, flush() reports the failure and keeps the entries", async () => {
    const port = await closedPort();
    const log = new PostgresAuditLog({ uri: `postgres://postgres@127.0.0.1:${port}/test` });
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
