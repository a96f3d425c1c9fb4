import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createIdempotency,
  IdempotencyRecordTooLargeError,
  IdempotencyRecordedError,
  IdempotencyStoreError,
  MemoryStore,
} from "@agent-idempotency/core";

const quiet = { onWarning: () => {} };
const call = (args: unknown = { id: 1 }) => ({ action: "lookup", args, sessionId: "s" });
const secret = { card: "4242 4242 4242 4242", owner: "Ada Lovelace", balance: 12 };

async function rawValue(store: MemoryStore): Promise<string> {
  return [...(store.keyv.store as Map<string, string>).values()].join("\n");
}

describe("protect: encryption at rest", () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);

  it("protect: the stored record holds no plaintext, and a replay decrypts it", async () => {
    const store = new MemoryStore();
    const engine = createIdempotency({ store, tools: { lookup: {} }, protect: { keys: { k1 }, currentKeyId: "k1" }, ...quiet });
    let effects = 0;
    await engine.run(call(), () => (effects++, secret));
    const raw = await rawValue(store);
    expect(raw).not.toContain("4242");
    expect(raw).not.toContain("Lovelace");
    expect(raw).toContain('"kid":"k1"');
    const again = await createIdempotency({ store, tools: { lookup: {} }, protect: { keys: { k1 }, currentKeyId: "k1" }, ...quiet }).run(call(), () => (effects++, null));
    expect(again).toMatchObject({ replayed: true, value: secret });
    expect(effects).toBe(1);
  });

  it("protect: rotation keeps old records readable while the old key id is configured", async () => {
    const store = new MemoryStore();
    await createIdempotency({ store, tools: { lookup: {} }, protect: { keys: { k1 }, currentKeyId: "k1" }, ...quiet }).run(call(), () => secret);
    const rotated = createIdempotency({ store, tools: { lookup: {} }, protect: { keys: { k1, k2: k2.toString("base64") }, currentKeyId: "k2" }, ...quiet });
    expect((await rotated.run(call(), () => null)).value).toEqual(secret);
    await rotated.run(call({ id: 2 }), () => ({ fresh: true }));
    expect(await rawValue(store)).toContain('"kid":"k2"');
    const dropped = createIdempotency({ store, tools: { lookup: {} }, protect: { keys: { k2 }, currentKeyId: "k2" }, ...quiet });
    await expect(dropped.run(call(), () => null)).rejects.toThrow(/key id "k1", which protect.keys does not hold/);
  });

  it("protect: a ciphertext moved to another key does not decrypt", async () => {
    const store = new MemoryStore();
    const engine = createIdempotency({ store, tools: { lookup: {} }, protect: { keys: { k1 }, currentKeyId: "k1" }, ...quiet });
    const a = await engine.run(call({ id: 1 }), () => secret);
    const b = await engine.run(call({ id: 2 }), () => "other");
    const map = store.keyv.store as Map<string, string>;
    const ka = [...map.keys()].find((k) => k.endsWith(a.key!))!;
    const kb = [...map.keys()].find((k) => k.endsWith(b.key!))!;
    const stolen = JSON.parse(map.get(ka)!).value.value;
    const victim = JSON.parse(map.get(kb)!);
    victim.value.value = stolen;
    map.set(kb, JSON.stringify(victim));
    await expect(engine.run(call({ id: 2 }), () => null)).rejects.toBeInstanceOf(IdempotencyStoreError);
  });

  it("protect: recorded errors are encrypted too and rethrown intact", async () => {
    const store = new MemoryStore();
    const engine = createIdempotency({ store, tools: { lookup: { cacheErrors: true } }, protect: { keys: { k1 }, currentKeyId: "k1" }, ...quiet });
    await expect(engine.run(call(), () => { throw new Error("card 4242 declined"); })).rejects.toThrow();
    expect(await rawValue(store)).not.toContain("4242");
    const again = createIdempotency({ store, tools: { lookup: { cacheErrors: true } }, protect: { keys: { k1 }, currentKeyId: "k1" }, ...quiet });
    await expect(again.run(call(), () => null)).rejects.toSatisfy((e) => e instanceof IdempotencyRecordedError && e.message === "card 4242 declined");
  });

  it("protect: a key that is not 32 bytes is refused at configuration", () => {
    expect(() => createIdempotency({ store: new MemoryStore(), protect: { keys: { short: randomBytes(16) }, currentKeyId: "short" } })).toThrow(/32 bytes/);
  });
});

describe("redact and maxRecordBytes", () => {
  it("redact: drops fields before recording; the first caller still gets everything", async () => {
    const store = new MemoryStore();
    const redact = (v: unknown) => ({ ...(v as object), card: undefined });
    const engine = createIdempotency({ store, tools: { lookup: {} }, redact, ...quiet });
    const first = await engine.run(call(), () => secret);
    expect(first.value).toEqual(secret);
    expect(await rawValue(store)).not.toContain("4242");
    const again = await createIdempotency({ store, tools: { lookup: {} }, redact, ...quiet }).run(call(), () => null);
    expect(again.value).toEqual({ owner: "Ada Lovelace", balance: 12 });
  });

  it("maxRecordBytes: arguments above the limit are refused before the tool runs", async () => {
    const engine = createIdempotency({ store: new MemoryStore(), tools: { lookup: {} }, maxRecordBytes: 1000, ...quiet });
    let effects = 0;
    await expect(engine.run(call({ blob: "x".repeat(2000) }), () => ++effects)).rejects.toBeInstanceOf(IdempotencyRecordTooLargeError);
    expect(effects).toBe(0);
  });

  it("maxRecordBytes: a result above the limit is not stored, and a replay says the action already ran", async () => {
    const store = new MemoryStore();
    const tools = { lookup: {} };
    let effects = 0;
    const big = { blob: "y".repeat(5000) };
    const first = await createIdempotency({ store, tools, maxRecordBytes: 1000, ...quiet }).run(call(), () => (effects++, big));
    expect(first.value).toEqual(big);
    expect((await rawValue(store)).length).toBeLessThan(1000);
    const again = createIdempotency({ store, tools, maxRecordBytes: 1000, ...quiet }).run(call(), () => ++effects);
    await expect(again).rejects.toThrow(/already ran, but its \d+-byte result was above maxRecordBytes/);
    expect(effects).toBe(1);
  });
});
