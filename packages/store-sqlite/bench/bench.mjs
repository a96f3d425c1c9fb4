// Latency and throughput of SqliteStore next to a raw Keyv `set` on the same file, same run.
// Usage (after building): node packages/store-sqlite/bench/bench.mjs [N] [path-or-:memory:]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyvSqlite } from "@keyv/sqlite";
import Keyv from "keyv";
import { SqliteStore } from "../dist/index.js";

const N = Number(process.argv[2] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), "idem-sqlite-bench-"));
const path = process.argv[3] ?? join(dir, "bench.db");
const p50 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const req = () => ({ scope: "bench", action: "bench", fingerprint: "f".repeat(32), now: Date.now(), leaseMs: 60_000, retentionMs: 86_400_000 });
const value = { booking_id: "b_123", slot: "2026-12-01T10:00:00Z", ok: true };

const store = new SqliteStore({ path, namespace: "bench" });
await store.setup();
// The raw baseline: a plain Keyv on the same file (its own connection, @keyv/sqlite's defaults),
// or, for :memory:, the store's own adapter (another connection would be another database).
const keyv = path === ":memory:" ? new Keyv(store.keyv.store, { namespace: "raw" }) : new Keyv(new KeyvSqlite(`sqlite://${path}`), { namespace: "raw" });
await keyv.set("warm", 1);
for (let i = 0; i < 50; i++) await store.claim(`warm-${i}`, req());

const set = [], claim = [], both = [];
for (let i = 0; i < N; i++) {
  let t = process.hrtime.bigint();
  await keyv.set(`k-${i}`, value, 3_600_000);
  set.push(ms(t));
  t = process.hrtime.bigint();
  await store.claim(`c-${i}`, req());
  claim.push(ms(t));
  t = process.hrtime.bigint();
  const r = await store.claim(`cc-${i}`, req());
  if (r.outcome !== "claimed") throw new Error("expected a claim");
  await store.complete(r.claim, { value, responseId: "b_123", now: Date.now(), ttlMs: 3_600_000 });
  both.push(ms(t));
}

async function throughput(callers, ops, fn) {
  let next = 0;
  const t = process.hrtime.bigint();
  await Promise.all(Array.from({ length: callers }, async () => { while (next < ops) await fn(next++); }));
  return Math.round(ops / (ms(t) / 1000));
}
const setTput = await throughput(16, N, (i) => keyv.set(`t-${i}`, value, 3_600_000));
const storeTput = await throughput(16, N, async (i) => {
  const r = await store.claim(`t-${i}`, req());
  if (r.outcome === "claimed") await store.complete(r.claim, { value, now: Date.now(), ttlMs: 3_600_000 });
});

console.log(JSON.stringify({
  path: path === ":memory:" ? ":memory:" : "file (WAL, synchronous=FULL)", n: N,
  keyvSetP50Ms: +p50(set).toFixed(3), claimP50Ms: +p50(claim).toFixed(3), claimCompleteP50Ms: +p50(both).toFixed(3),
  keyvSetPerSec16: setTput, claimCompletePerSec16: storeTput,
}));
await store.close();
if (path !== ":memory:") await keyv.disconnect();
rmSync(dir, { recursive: true, force: true });
