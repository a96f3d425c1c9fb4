/**
 * Personal data in recorded results: `protect` encrypts results and recorded errors at rest
 * (AES-256-GCM, keys by id, rotation), `redact` drops fields before recording; replays still
 * work. Checked on the bytes of a real SQLite file (and its WAL), not on what the API returns.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createIdempotency, isIdempotencyError, type IdempotencyOptions } from "@agent-idempotency/core";
import { SqliteStore } from "@agent-idempotency/store-sqlite";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "aidem-protect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const EMAIL = "ada.lovelace@example.com";
const IBAN = "DE89370400440532013000";
const CARD = "4111111111111111";
const k1 = randomBytes(32);
const k2 = randomBytes(32);

class CardDeclined extends Error {
  override name = "CardDeclined";
}

function engine(path: string, options: Partial<IdempotencyOptions>) {
  let runs = 0;
  const idempotency = createIdempotency({
    store: new SqliteStore({ path }),
    onWarning: () => undefined,
    tools: { lookup: { identity: ["id"] }, charge: { identity: ["id"], cacheErrors: (e) => (e as Error).name === "CardDeclined" } },
    ...options,
  });
  const lookup = (id: string) => idempotency.run({ action: "lookup", args: { id }, sessionId: "s-1" }, () => (runs++, { id, email: EMAIL, iban: IBAN }));
  const charge = (id: string) =>
    idempotency.run({ action: "charge", args: { id }, sessionId: "s-1" }, () => {
      runs++;
      throw new CardDeclined(`card ${CARD} declined for ${EMAIL}`);
    });
  return { idempotency, lookup, charge, runs: () => runs };
}

/** Every byte SQLite keeps for the file: the database and its write-ahead log. */
function fileBytes(path: string): string {
  return [path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p).toString("latin1")).join("");
}

const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

describe("protect: results and errors encrypted at rest", () => {
  it("run(): the plaintext never reaches the file; replays decrypt it; a recorded error replays with its message", async () => {
    const path = join(dir, `p${++n}.db`);
    const a = engine(path, { protect: { keys: { k1 }, currentKeyId: "k1" } });
    const first = await a.lookup("c-1");
    const declined = await caught(a.charge("o-1"));
    expect(declined?.name).toBe("CardDeclined");
    const stored = await a.idempotency.store.get(first.key!);
    expect(stored).toMatchObject({ status: "completed", value: { $protected: 1, kid: "k1" } });
    await a.idempotency.close();

    const bytes = fileBytes(path);
    expect(bytes.length).toBeGreaterThan(0);
    for (const secret of [EMAIL, IBAN, CARD, "lovelace"]) expect(bytes).not.toContain(secret);

    const b = engine(path, { protect: { keys: { k1 }, currentKeyId: "k1" } });
    const replay = await b.lookup("c-1");
    expect(replay).toMatchObject({ outcome: "replayed", value: { id: "c-1", email: EMAIL, iban: IBAN } });
    const again = await caught(b.charge("o-1"));
    expect(isIdempotencyError(again, "RECORDED_ERROR")).toBe(true);
    expect(again?.message).toBe(`card ${CARD} declined for ${EMAIL}`);
    expect(b.runs()).toBe(0);
    await b.idempotency.close();
  });

  it("run(): without protect the same result is plainly in the file (the control: the check above can fail)", async () => {
    const path = join(dir, `p${++n}.db`);
    const a = engine(path, {});
    await a.lookup("c-1");
    await a.idempotency.close();
    expect(fileBytes(path)).toContain(EMAIL);
  });

  it("run(): key rotation by id: records of the old key replay while it is kept; new records use the current key", async () => {
    const path = join(dir, `p${++n}.db`);
    const old = engine(path, { protect: { keys: { k1 }, currentKeyId: "k1" } });
    const before = await old.lookup("c-1");
    await old.idempotency.close();

    const rotated = engine(path, { protect: { keys: { k1, k2: k2.toString("base64") }, currentKeyId: "k2" } });
    expect(await rotated.lookup("c-1")).toMatchObject({ outcome: "replayed", value: { email: EMAIL } });
    const fresh = await rotated.lookup("c-2");
    expect(await rotated.idempotency.store.get(fresh.key!)).toMatchObject({ value: { kid: "k2" } });
    await rotated.idempotency.close();

    // The old key dropped too early: the record cannot be read, and the tool does not run again.
    const dropped = engine(path, { protect: { keys: { k2 }, currentKeyId: "k2" } });
    const e = await caught(dropped.lookup("c-1"));
    expect(isIdempotencyError(e)).toBe(true);
    expect(e?.message).toContain('key id "k1"');
    expect(e?.message).not.toContain(EMAIL);
    expect(dropped.runs()).toBe(0);
    expect(await dropped.lookup("c-2")).toMatchObject({ outcome: "replayed", value: { email: EMAIL } });
    await dropped.idempotency.close();
    expect(before.key).not.toBe(fresh.key);
  });

  it("run(): a ciphertext moved to another key does not decrypt (the key is authenticated), and says so with a typed error", async () => {
    const path = join(dir, `p${++n}.db`);
    const a = engine(path, { protect: { keys: { k1 }, currentKeyId: "k1" } });
    const victim = await a.lookup("c-1");
    const other = await a.lookup("c-2");
    const stolen = await a.idempotency.store.get(victim.key!);
    const target = await a.idempotency.store.get(other.key!);
    // Swap the encrypted value of c-1 into c-2's record, as someone with write access to the table could.
    await (a.idempotency.store as SqliteStore).keyv.set(other.key!, { ...target, value: (stolen as { value: unknown }).value });
    const e = await caught(a.lookup("c-2"));
    expect(isIdempotencyError(e, "STORE_FAILED")).toBe(true);
    expect(e?.message).toMatch(/does not decrypt/);
    expect(a.runs()).toBe(2);
    await a.idempotency.close();
  });

  it("createIdempotency(): a key that is not 32 bytes, or a currentKeyId without a key, is refused at start-up", () => {
    const bad = [{ keys: { k1: randomBytes(16) }, currentKeyId: "k1" }, { keys: { k1 }, currentKeyId: "k9" }];
    for (const protect of bad) {
      const e = (() => {
        try {
          createIdempotency({ store: new SqliteStore({ path: ":memory:" }), protect });
        } catch (error) {
          return error;
        }
      })();
      expect(isIdempotencyError(e, "POLICY_INVALID")).toBe(true);
    }
  });
});

describe("redact: fields dropped before recording", () => {
  it("run(): the caller gets the whole result once; the record and every replay hold the redacted form", async () => {
    const path = join(dir, `p${++n}.db`);
    const redact = (v: unknown) => ({ ...(v as object), iban: undefined, email: "[redacted]" });
    const a = engine(path, { redact });
    const first = await a.lookup("c-1");
    expect(first.value).toEqual({ id: "c-1", email: EMAIL, iban: IBAN });
    const replay = await a.lookup("c-1");
    expect(replay).toMatchObject({ outcome: "replayed", value: { id: "c-1", email: "[redacted]" } });
    expect(replay.value).not.toHaveProperty("iban");
    await a.idempotency.close();
    const bytes = fileBytes(path);
    expect(bytes).not.toContain(IBAN);
    expect(bytes).not.toContain(EMAIL);
    expect(a.runs()).toBe(1);
  });
});
