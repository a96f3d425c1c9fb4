/**
 * What a SQL store and its audit log do when nothing listens at their address, the same for every
 * SQL store package: the constructors did no I/O, the first operation fails closed with
 * IdempotencyStoreError carrying the driver's ECONNREFUSED, Keyv's reads through the same pool throw
 * instead of missing, and the audit log keeps its entries and reports the failure on flush/close.
 */
import type { AuditEntry, AuditSink, IdempotencyStore } from "@agent-idempotency/core";
import { isIdempotencyError } from "@agent-idempotency/core";
import { claimRequest } from "@agent-idempotency/core/testing";
import { describe, expect, it } from "vitest";
import { closedPort } from "./closed-port.js";

/** One store package under test. */
export interface UnreachableSqlStore {
  /** The store's class name, for the suite's title: `"PostgresStore"`. */
  storeClass: string;
  /** The audit log's class name: `"PostgresAuditLog"`. */
  auditClass: string;
  /** The prefix its errors carry: `"store-postgres"`. */
  name: string;
  /** A connection URI for `port` on the loopback address. */
  uri(port: number): string;
  store(uri: string): IdempotencyStore & { keyv: { get(key: string): Promise<unknown> } };
  auditLog(uri: string): AuditSink & { readonly pending: number; flush(): Promise<void>; close(): Promise<void> };
}

/** Registers the suite `<storeClass> with no server listening`. */
export function describeUnreachableSqlStore(s: UnreachableSqlStore): void {
  describe(`${s.storeClass} with no server listening`, () => {
    it("claim(): fails with IdempotencyStoreError carrying the driver error, after a constructor that did no I/O", async () => {
      const store = s.store(s.uri(await closedPort()));
      const e = await store.claim("k1", claimRequest()).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(e?.name).toBe("IdempotencyStoreError");
      expect(isIdempotencyError(e, "STORE_FAILED")).toBe(true);
      expect(e?.message).toMatch(new RegExp(`^\\[agent-idempotency\\] \\[${s.name}\\] (claim|setup) failed`));
      expect((e?.cause as { code?: string })?.code).toBe("ECONNREFUSED");
      await expect(store.get("k1")).rejects.toMatchObject({ name: "IdempotencyStoreError" });
      // Keyv reads through the same pool must throw too, not turn the failure into a miss.
      await expect(store.keyv.get("k1")).rejects.toBeTruthy();
      await store.close();
      await store.close();
      await expect(store.get("k1")).rejects.toThrow(/get after close\(\)/);
    });

    it(`${s.auditClass}: write() never throws, flush() reports the failure and keeps the entries`, async () => {
      const log = s.auditLog(s.uri(await closedPort()));
      const entry: AuditEntry = { ts: 1, action_type: "a", outcome: "executed", session_id: "s", fingerprint: "f", attempt: 1, duration_ms: 1 };
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
}
