// Scale: Postgres claim latency with 1 k and with 1 M existing records (two dedicated tables,
// claims interleaved), the time PostgresStore.purge() takes for 1 M expired records, and the heap
// a MemoryStore holds per 100 k completed records (in a child process with --expose-gc, so a
// full GC can run before each reading). Both tables are dropped afterwards.
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { PostgresStore } from "@agent-idempotency/store-postgres";
import pg from "pg";
import { interleave, roundRatio } from "../lib/measure.mjs";
import { PG_URL, RUN_ID } from "../lib/workload.mjs";

const BATCH = 200_000;

/**
 * Inserts `count` completed records that expired an hour ago, in Keyv's encoding under the store's
 * namespace, with random 32-hex keys as real keys are (so claims land all over the primary key).
 */
async function fill(client, table, count, log) {
  const past = Date.now() - 3_600_000;
  for (let done = 0; done < count; done += BATCH) {
    const to = Math.min(count, done + BATCH);
    await client.query(
      `INSERT INTO "public"."${table}" (key, value)
       SELECT 'idempotency:' || k, '{"value":{"v":1,"key":"' || k || '","scope":"s-bench","action":"book_calendar",' ||
         '"fingerprint":"0123456789abcdef0123456789abcdef","token":"3f0c4b5e-6a1d-4c2b-9e8f-0a1b2c3d4e5f","attempt":1,' ||
         '"claimedAt":' || t || ',"status":"completed","value":{"booking_id":"b_1","status":"confirmed"},' ||
         '"completedAt":' || t || ',"expiresAt":' || t || '},"expires":' || t || '}'
       FROM (SELECT md5(i::text || $3) AS k, $4::bigint - i AS t FROM generate_series($1::int, $2::int) AS i) AS g`,
      [done + 1, to, RUN_ID, past],
    );
    if (count >= BATCH) log(`    ${table}: ${to.toLocaleString("en")} rows`);
  }
  await client.query(`ANALYZE "public"."${table}"`);
}

const claimRequest = () => ({ scope: "s-bench", action: "book_calendar", fingerprint: "0123456789abcdef0123456789abcdef", now: Date.now(), leaseMs: 60_000, retentionMs: 86_400_000 });

async function postgresScale({ rounds, scale, records }, log) {
  const small = `aidem_bench_${RUN_ID}_1k`;
  const large = `aidem_bench_${RUN_ID}_1m`;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const stores = { small: new PostgresStore({ uri: PG_URL, table: small, purgeEvery: 0 }), large: new PostgresStore({ uri: PG_URL, table: large, purgeEvery: 0 }) };
  try {
    await stores.small.setup();
    await stores.large.setup();
    log(`  scale: filling ${small} (1,000) and ${large} (${records.toLocaleString("en")})`);
    await fill(client, small, 1_000, log);
    let t = performance.now();
    await fill(client, large, records, log);
    const fillSeconds = (performance.now() - t) / 1000;
    log("  scale: claims at 1 k vs at 1 M, interleaved");
    const n = Math.max(50, Math.round(400 * scale));
    const key = () => randomBytes(16).toString("hex");
    const claims = await interleave(
      {
        "claim, 1 k records": () => () => stores.small.claim(key(), claimRequest()),
        [`claim, ${records.toLocaleString("en")} records`]: () => () => stores.large.claim(key(), claimRequest()),
      },
      { rounds, n },
    );
    const [atSmall, atLarge] = Object.values(claims);
    log(`  scale: purging ${records.toLocaleString("en")} expired records`);
    t = performance.now();
    const purged = await stores.large.purge({ before: Date.now() });
    const purgeSeconds = (performance.now() - t) / 1000;
    return { records, fillSeconds, claims, largeOverSmall: roundRatio(atLarge, atSmall), purged, purgeSeconds, purgePerSecond: purged / purgeSeconds };
  } finally {
    for (const s of Object.values(stores)) await s.close().catch(() => undefined);
    for (const tbl of [small, large]) await client.query(`DROP TABLE IF EXISTS "public"."${tbl}", "public"."${tbl}_migrations"`);
    await client.end();
  }
}

/** Heap per 100 k records of MemoryStore, measured in a child process (see memory-child.mjs). */
function memoryPer100k() {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL("./memory-child.mjs", import.meta.url)), [], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.once("message", resolve);
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`memory-child exited with ${code}`))));
  });
}

export async function scaleSection(opts, log) {
  const results = {};
  log("  scale: MemoryStore heap per 100 k records");
  results.memoryStore = await memoryPer100k();
  try {
    results.postgres = await postgresScale(opts, log);
  } catch (error) {
    log(`  scale: Postgres skipped (${error?.message ?? error})`);
  }
  const rows = [
    { measure: "MemoryStore heap per 100 k completed records", value: `${(results.memoryStore.heapBytesPer100k / 2 ** 20).toFixed(1)} MiB`, detail: `${Math.round(results.memoryStore.heapBytesPer100k / 100_000)} B/record; RSS +${(results.memoryStore.rssBytesPer100k / 2 ** 20).toFixed(0)} MiB` },
  ];
  const p = results.postgres;
  if (p) {
    const [small, large] = Object.entries(p.claims);
    rows.push({ measure: `Postgres ${small[0]}`, value: `${small[1].p50.toFixed(0)} us p50`, detail: `p99 ${small[1].p99.toFixed(0)} us` });
    rows.push({ measure: `Postgres ${large[0]}`, value: `${large[1].p50.toFixed(0)} us p50`, detail: `p99 ${large[1].p99.toFixed(0)} us; ratio to 1 k ${p.largeOverSmall.toFixed(2)}` });
    rows.push({ measure: `Postgres purge of ${p.purged.toLocaleString("en")} expired records`, value: `${p.purgeSeconds.toFixed(1)} s`, detail: `${Math.round(p.purgePerSecond).toLocaleString("en")} records/s (fill took ${p.fillSeconds.toFixed(0)} s)` });
  }
  return { results, rows };
}
