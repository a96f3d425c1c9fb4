// Latency and throughput of PostgresStore next to a plain Keyv `set` on the same server, same run.
// Build first (npx tsc -b packages/store-postgres), then: node packages/store-postgres/bench/bench.mjs
// IDEMPOTENCY_PG_URL picks the server (default postgres://postgres@127.0.0.1:5432/test).
import { randomUUID } from "node:crypto";
import { KeyvPostgres } from "@keyv/postgres";
import Keyv from "keyv";
import pg from "pg";
import { PostgresStore } from "../dist/index.js";

const uri = process.env.IDEMPOTENCY_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const N = Number(process.env.BENCH_N ?? 2000);
const CALLERS = 16;
const run = randomUUID().replaceAll("-", "").slice(0, 8);
const storeTable = `aidem_bench_${run}`;
const keyvTable = `aidem_bench_keyv_${run}`;

const p50 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const req = () => ({ scope: "s", action: "bench", fingerprint: "f".repeat(32), now: Date.now(), leaseMs: 60_000, retentionMs: 3_600_000 });

async function timed(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    out.push(ms(t0));
  }
  return out;
}

async function throughput(total, fn) {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (next < total) await fn(next++);
  }));
  return (total / ms(t0)) * 1000;
}

const store = new PostgresStore({ uri, table: storeTable, purgeEvery: 0 });
const keyv = new Keyv(new KeyvPostgres({ uri, table: keyvTable }), { namespace: "bench" });
const value = { booking_id: "b_1", slot: { start: "2026-12-01T10:00:00Z" }, note: "x".repeat(200) };
try {
  await store.setup();
  await keyv.set("warm", value);
  for (let i = 0; i < 200; i++) {
    await keyv.set(`w${i}`, value);
    await store.claim(`w${i}`, req());
  }
  // Interleave the measured series so load from other processes hits both alike.
  const keyvSet = [], claim = [], claimComplete = [];
  for (let round = 0; round < 4; round++) {
    keyvSet.push(...(await timed(N / 4, (i) => keyv.set(`k${round}-${i}`, value, 3_600_000))));
    claim.push(...(await timed(N / 4, (i) => store.claim(`c${round}-${i}`, req()))));
    claimComplete.push(...(await timed(N / 4, async (i) => {
      const r = await store.claim(`cc${round}-${i}`, req());
      await store.complete(r.claim, { value, responseId: "b_1", now: Date.now(), ttlMs: 3_600_000 });
    })));
  }
  const keyvTput = await throughput(N, (i) => keyv.set(`t${i}`, value, 3_600_000));
  const storeTput = await throughput(N, async (i) => {
    const r = await store.claim(`t${i}`, req());
    await store.complete(r.claim, { value, responseId: "b_1", now: Date.now(), ttlMs: 3_600_000 });
  });
  const f = (x) => x.toFixed(2);
  console.log(`n=${N} per series, ${CALLERS} callers for throughput, load average ${(await import("node:os")).loadavg()[0].toFixed(1)}`);
  console.log(`keyv.set p50            ${f(p50(keyvSet))} ms`);
  console.log(`claim p50               ${f(p50(claim))} ms`);
  console.log(`claim+complete p50      ${f(p50(claimComplete))} ms`);
  console.log(`keyv.set x16            ${keyvTput.toFixed(0)} /s`);
  console.log(`claim+complete x16      ${storeTput.toFixed(0)} /s`);
} finally {
  await store.close();
  await keyv.disconnect();
  const c = new pg.Client(uri);
  await c.connect();
  await c.query(`DROP TABLE IF EXISTS "${storeTable}", "${storeTable}_migrations", "${keyvTable}"`);
  await c.end();
}
