/**
 * `maxRecordBytes` (default 1 MiB, configurable): arguments above it are refused with a clear
 * error before the tool runs and before anything is claimed; a result above it is not stored,
 * and its replay says the action already ran instead of running it again. On a real SQLite file.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createIdempotency, DEFAULT_MAX_RECORD_BYTES, isIdempotencyError, type IdempotencyOptions } from "@agent-idempotency/core";
import { SqliteStore } from "@agent-idempotency/store-sqlite";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "aidem-record-size-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function setup(options: Partial<IdempotencyOptions> = {}) {
  const path = join(dir, `r${++files}.db`);
  const store = new SqliteStore({ path });
  const idempotency = createIdempotency({ store, tools: { upload: true }, onWarning: () => undefined, ...options });
  let runs = 0;
  const upload = (args: unknown, result: (a: unknown) => unknown = () => ({ ok: true })) =>
    idempotency.run({ action: "upload", args, sessionId: "s-1" }, () => (runs++, result(args)));
  return { store, idempotency, upload, path, runs: () => runs };
}

const TEN_MB = 10 * 1024 * 1024;
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error & { code?: string; bytes?: number; limit?: number });

describe("maxRecordBytes", () => {
  it("run(): 10 MB of arguments are refused before the tool runs and before anything is claimed (default 1 MiB)", async () => {
    const t = setup();
    const args = { note: "x".repeat(TEN_MB) };
    const error = await caught(t.upload(args));
    expect(isIdempotencyError(error, "RECORD_TOO_LARGE")).toBe(true);
    expect(error!.limit).toBe(DEFAULT_MAX_RECORD_BYTES);
    expect(error!.bytes).toBe(TEN_MB + '{"note":""}'.length);
    expect(error!.message).toMatch(/arguments are \d+ bytes, above maxRecordBytes \(1048576\)/);
    expect(error!.message).not.toContain("xxxx"); // never the arguments themselves
    expect(t.runs()).toBe(0);
    expect(await t.store.get(t.idempotency.deriveKey({ action: "upload", args, sessionId: "s-1" })!.key)).toBeUndefined();
    await t.idempotency.close();
  });

  it("run(): the limit is on UTF-8 bytes of the canonical arguments, exact at the boundary", async () => {
    const t = setup({ maxRecordBytes: 1000 });
    const overhead = '{"s":""}'.length;
    await expect(t.upload({ s: "a".repeat(1000 - overhead) })).resolves.toMatchObject({ outcome: "executed" });
    expect(isIdempotencyError(await caught(t.upload({ s: "a".repeat(1001 - overhead) })), "RECORD_TOO_LARGE")).toBe(true);
    // "é" is two bytes: half as many characters reach the same limit.
    expect(isIdempotencyError(await caught(t.upload({ s: "é".repeat(500) })), "RECORD_TOO_LARGE")).toBe(true);
    await expect(t.upload({ s: "é".repeat(Math.floor((1000 - overhead) / 2)) })).resolves.toMatchObject({ outcome: "executed" });
    expect(t.runs()).toBe(2);
    await t.idempotency.close();
  });

  it("run(): raised to 32 MiB, 10 MB arguments are keyed deterministically: the same replays, one changed byte runs", async () => {
    const t = setup({ maxRecordBytes: 32 * 1024 * 1024 });
    const a = "x".repeat(TEN_MB);
    const first = await t.upload({ note: a });
    const again = await t.upload({ note: `${a.slice(0, -1)}x` }); // an equal string, built anew
    const other = await t.upload({ note: `${a.slice(0, -1)}y` });
    expect([first.outcome, again.outcome, other.outcome]).toEqual(["executed", "replayed", "executed"]);
    expect(again.key).toBe(first.key);
    expect(other.key).not.toBe(first.key);
    expect(t.runs()).toBe(2);
    await t.idempotency.close();
  });

  it("run(): a result above the limit is not stored; its replay says the action already ran, and the tool does not run again", async () => {
    const t = setup({ maxRecordBytes: 64 * 1024 });
    const big = () => ({ report: "r".repeat(TEN_MB) });
    const first = await t.upload({ id: 1 }, big);
    expect(first.outcome).toBe("executed");
    expect((first.value as { report: string }).report).toHaveLength(TEN_MB); // the caller still gets it
    const record = await t.store.get(first.key!);
    expect(record).toMatchObject({ status: "completed", value: { $omitted: { bytes: TEN_MB + '{"report":""}'.length } } });
    const replay = await caught(t.upload({ id: 1 }, big));
    expect(isIdempotencyError(replay, "RECORD_TOO_LARGE")).toBe(true);
    expect(replay!.message).toMatch(/already ran/);
    expect(t.runs()).toBe(1);
    await t.idempotency.close();
    expect(statSync(t.path).size).toBeLessThan(1024 * 1024); // the 10 MB never reached the file
  });

  it("createIdempotency(): a maxRecordBytes that is not a positive number is refused at start-up", () => {
    for (const bad of [0, -1, Number.NaN]) {
      const error = (() => {
        try {
          createIdempotency({ store: new SqliteStore({ path: ":memory:" }), maxRecordBytes: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(isIdempotencyError(error, "POLICY_INVALID")).toBe(true);
    }
  });
});
