// Latency and throughput of RedisStore next to a raw Keyv `set`, same server, same run.
// Build first (npx tsc -b packages/store-redis), then: node packages/store-redis/bench/bench.mjs [redis-url]
import { randomUUID } from "node:crypto";
import KeyvRedis from "@keyv/redis";
import Keyv from "keyv";
import { RedisStore } from "../dist/index.js";

const url = process.argv[2] ?? process.env.IDEMPOTENCY_REDIS_URL ?? "redis://127.0.0.1:6379";
const N = 2000;
const CALLERS = 16;
const SECONDS = 3;
const prefix = `sr-bench-${randomUUID().slice(0, 8)}`;

const p50 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];
const us = (ms) => `${(ms * 1000).toFixed(0)} us`;
const req = () => ({ scope: "bench", action: "charge_card", fingerprint: "f".repeat(64), now: Date.now(), leaseMs: 60_000, retentionMs: 3_600_000 });
const result = { charge_id: "ch_123", amount: 4200, currency: "eur", status: "succeeded" };

async function timed(n, fn) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  return times;
}

async function throughput(fn) {
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: CALLERS }, async (_, c) => {
    for (let i = 0; performance.now() < end; i++) {
      await fn(`${c}-${i}-${randomUUID()}`);
      done++;
    }
  }));
  return done / SECONDS;
}

const store = new RedisStore({ url, prefix });
const keyv = new Keyv(new KeyvRedis(url), { namespace: prefix, throwOnErrors: true });
await store.setup();
await keyv.set("warm", 1, 60_000);
// A value of the size a completed record has.
const sample = { v: 1, key: "x".repeat(32), status: "completed", scope: "bench", action: "charge_card", fingerprint: "f".repeat(64), token: randomUUID(), attempt: 1, claimedAt: Date.now(), value: result, completedAt: Date.now(), expiresAt: Date.now() + 3_600_000 };

for (let i = 0; i < 300; i++) await store.claim(`warm-${i}`, req()); // JIT and connection warm-up

const set = await timed(N, (i) => keyv.set(`set-${i}`, sample, 3_600_000));
const claim = await timed(N, (i) => store.claim(`claim-${i}`, req()));
const claimComplete = await timed(N, async (i) => {
  const r = await store.claim(`cc-${i}`, req());
  await store.complete(r.claim, { value: result, now: Date.now(), ttlMs: 3_600_000 });
});
const setRate = await throughput((k) => keyv.set(`tset-${k}`, sample, 3_600_000));
const ccRate = await throughput(async (k) => {
  const r = await store.claim(`tcc-${k}`, req());
  await store.complete(r.claim, { value: result, now: Date.now(), ttlMs: 3_600_000 });
});

console.log(`RedisStore bench against ${url.replace(/\/\/[^@]*@/, "//***@")} (${N} sequential ops each; ${CALLERS} callers for ${SECONDS} s)`);
console.log(`  raw Keyv set         p50 ${us(p50(set))}  p99 ${us(p99(set))}`);
console.log(`  claim                p50 ${us(p50(claim))}  p99 ${us(p99(claim))}`);
console.log(`  claim + complete     p50 ${us(p50(claimComplete))}  p99 ${us(p99(claimComplete))}`);
console.log(`  throughput, ${CALLERS} callers: claim+complete ${ccRate.toFixed(0)}/s   raw Keyv set ${setRate.toFixed(0)}/s`);

await store.purge({ before: Number.MAX_SAFE_INTEGER });
await keyv.clear();
await keyv.disconnect();
await store.close();
