// Scale across processes: N worker processes (2..16) share one backend (Postgres, Redis
// standalone, a Redis Cluster, MariaDB), each running a few concurrent fresh guarded calls for a
// fixed time. Per backend and N: calls per second, p50 and p99 of single calls, failures; and per
// backend the storage one completed record takes (so records per GB), read from the server.
// Tables and key prefixes carry the run id and are removed; a Redis Cluster is started for the run
// when IDEMPOTENCY_REDIS_CLUSTER_URL names none (test/support/redis-cluster.mjs) and stopped by pid.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createClient, createCluster } from "@keyv/redis";
import mysql from "mysql2/promise";
import pg from "pg";
import { percentile } from "../lib/measure.mjs";
import { deleteRedisPrefix, MYSQL_URL, PG_URL, REDIS_URL, RUN_ID } from "../lib/workload.mjs";
import { startCluster, stopCluster } from "../../support/redis-cluster.mjs";

const CHILD = fileURLToPath(new URL("./workers-child.mjs", import.meta.url));
/** In-flight calls per worker process. */
const CONCURRENCY = 4;

/** Runs N workers against `spec` for `seconds`; returns calls/s, p50/p99 (ms), failures. */
async function runWorkers(spec, n, seconds) {
  const children = Array.from({ length: n }, (_, worker) =>
    fork(CHILD, [JSON.stringify({ spec, concurrency: CONCURRENCY, seconds, worker })], { stdio: ["ignore", "inherit", "inherit", "ipc"] }),
  );
  const exited = children.map((c) => new Promise((resolve) => c.once("close", resolve)));
  // "close" (not "exit"): it comes after the IPC channel has delivered every message, and a large
  // report can still be in flight when the process has already exited.
  const first = (c) => new Promise((resolve, reject) => {
    c.once("message", resolve);
    c.once("close", (code) => reject(new Error(`worker exited with ${code} before reporting`)));
  });
  await Promise.all(children.map(first)); // every worker has opened its store
  const reports = children.map(first);
  const t0 = performance.now();
  for (const c of children) c.send("go");
  const results = await Promise.all(reports);
  const elapsed = (performance.now() - t0) / 1000;
  await Promise.all(exited);
  const lat = Float64Array.from(results.flatMap((r) => r.latencies)).sort();
  const calls = results.reduce((s, r) => s + r.calls, 0);
  return {
    workers: n,
    inFlight: n * CONCURRENCY,
    calls,
    perSecond: calls / Math.max(elapsed, seconds),
    p50Ms: percentile(lat, 0.5),
    p99Ms: percentile(lat, 0.99),
    failures: results.reduce((s, r) => s + r.failures, 0),
    firstError: results.find((r) => r.firstError)?.firstError,
  };
}

/** Bytes per record as the server stores it (table + indexes, or Redis memory), after the runs. */
const footprint = {
  async postgres(table) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`VACUUM ANALYZE "public"."${table}"`);
      const { rows } = await c.query(`SELECT pg_total_relation_size($1) AS bytes, (SELECT count(*) FROM "public"."${table}") AS n`, [`public.${table}`]);
      return { bytes: Number(rows[0].bytes), records: Number(rows[0].n) };
    } finally {
      await c.end();
    }
  },
  async mysql(table) {
    const c = await mysql.createConnection({ uri: MYSQL_URL });
    try {
      await c.query(`ANALYZE TABLE \`${table}\``);
      const [[row]] = await c.query("SELECT data_length + index_length AS bytes FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?", [table]);
      const [[count]] = await c.query(`SELECT COUNT(*) AS n FROM \`${table}\``);
      return { bytes: Number(row.bytes), records: Number(count.n) };
    } finally {
      await c.end();
    }
  },
  /** `MEMORY USAGE` of a sample of keys (per copy: a replica holds one more). */
  async redisSample(send, keys) {
    let bytes = 0;
    for (const k of keys) bytes += Number(await send(k, ["MEMORY", "USAGE", k, "SAMPLES", "0"]));
    return { bytes, records: keys.length };
  },
};

async function redisKeys(sendScan, prefix, max) {
  const keys = [];
  let cursor = "0";
  do {
    const [next, page] = await sendScan(["SCAN", cursor, "MATCH", `${prefix}::*`, "COUNT", "1000"]);
    cursor = String(next);
    keys.push(...page);
  } while (cursor !== "0" && keys.length < max);
  return keys.slice(0, max);
}

/** The backends of this section, each with its store spec for the workers and its cleanup. */
async function backends(names, log) {
  const out = [];
  const dist = (pkg) => `@agent-idempotency/${pkg}`;
  if (names.includes("postgres")) {
    const table = `aidem_scale_${RUN_ID}`;
    out.push({
      name: "postgres",
      spec: { module: dist("store-postgres"), export: "PostgresStore", options: { uri: PG_URL, table, poolSize: 4, purgeEvery: 0 } },
      size: () => footprint.postgres(table),
      cleanup: async () => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`DROP TABLE IF EXISTS "public"."${table}", "public"."${table}_migrations"`);
        await c.end();
      },
    });
  }
  if (names.includes("redis")) {
    const prefix = `aidem-scale-${RUN_ID}`;
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    out.push({
      name: "redis",
      spec: { module: dist("store-redis"), export: "RedisStore", options: { url: REDIS_URL, prefix } },
      size: async () => footprint.redisSample((_k, a) => client.sendCommand(a), await redisKeys((a) => client.sendCommand(a), prefix, 500)),
      cleanup: async () => {
        await deleteRedisPrefix(client, prefix);
        await client.close();
      },
    });
  }
  if (names.includes("redis-cluster") || names.includes("redis-cluster-wait")) {
    let state;
    let rootNodes = process.env.IDEMPOTENCY_REDIS_CLUSTER_URL?.split(",").filter(Boolean);
    if (!rootNodes) {
      log("  workers: starting a Redis Cluster (3 masters + 3 replicas)");
      state = await startCluster({ nodeTimeoutMs: 5000 });
      rootNodes = state.nodes.map((n) => `redis://127.0.0.1:${n.port}`);
    }
    const admin = createCluster({ rootNodes: rootNodes.map((url) => ({ url })) });
    admin.on("error", () => undefined);
    await admin.connect();
    const variants = [];
    if (names.includes("redis-cluster")) variants.push(["redis-cluster", undefined]);
    if (names.includes("redis-cluster-wait")) variants.push(["redis-cluster-wait", { replicas: 1, timeoutMs: 1000 }]);
    const prefixes = [];
    for (const [name, waitForReplicas] of variants) {
      const prefix = `aidem-${name}-${RUN_ID}`;
      prefixes.push(prefix);
      out.push({
        name,
        spec: { module: dist("store-redis"), export: "RedisStore", options: { rootNodes, prefix, ...(waitForReplicas ? { waitForReplicas } : {}) } },
        size: async () => {
          const node = await admin.nodeClient(admin.masters[0]);
          const keys = await redisKeys((a) => node.sendCommand(a), prefix, 500);
          return footprint.redisSample((k, a) => admin.sendCommand(k, true, a), keys);
        },
        // The last cluster variant's cleanup closes the admin client and the cluster this run started.
        cleanup: async () => {
          for (const master of admin.masters) {
            const node = await admin.nodeClient(master);
            const keys = await redisKeys((a) => node.sendCommand(a), prefix, Number.POSITIVE_INFINITY);
            for (const k of keys) await node.sendCommand(["DEL", k]);
          }
          if (prefix === prefixes[prefixes.length - 1]) {
            admin.destroy();
            if (state) await stopCluster(state);
          }
        },
      });
    }
  }
  if (names.includes("mysql")) {
    const table = `aidem_scale_${RUN_ID}`;
    out.push({
      name: "mysql",
      spec: { module: dist("store-mysql"), export: "MysqlStore", options: { uri: MYSQL_URL, table, poolSize: 4, purgeEvery: 0 } },
      size: () => footprint.mysql(table),
      cleanup: async () => {
        const c = await mysql.createConnection({ uri: MYSQL_URL });
        await c.query(`DROP TABLE IF EXISTS \`${table}\`, \`${table}_migrations\``);
        await c.end();
      },
    });
  }
  return out;
}

/** Runs the section: `opts.workers` (e.g. [2, 4, 8, 16]) per backend, `opts.workerSeconds` each. */
export async function workersSection(opts, log) {
  const names = opts.workerBackends;
  const results = {};
  const rows = [];
  let list = [];
  try {
    list = await backends(names, log);
  } catch (error) {
    log(`  workers: a backend could not be opened (${error?.message ?? error})`);
  }
  for (const b of list) {
    try {
      results[b.name] = { runs: [] };
      for (const n of opts.workers) {
        log(`  workers: ${b.name}, ${n} processes x ${CONCURRENCY} in flight, ${opts.workerSeconds} s`);
        const r = await runWorkers(b.spec, n, opts.workerSeconds);
        results[b.name].runs.push(r);
        rows.push({ backend: b.name, ...r });
        if (r.failures) log(`    ${r.failures} failures, first: ${r.firstError}`);
      }
      const { bytes, records } = await b.size();
      results[b.name].bytesPerRecord = bytes / records;
      results[b.name].recordsPerGB = (1e9 * records) / bytes;
      results[b.name].sizedRecords = records;
    } catch (error) {
      log(`  workers: ${b.name} failed (${error?.message ?? error})`);
    } finally {
      await b.cleanup().catch((e) => log(`  workers: cleanup of ${b.name} failed: ${e?.message}`));
    }
  }
  return { results, rows };
}
