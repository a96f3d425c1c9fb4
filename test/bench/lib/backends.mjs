// Our five stores, each with the raw statements that are its floor: the claim statement and the
// completing update of the store's atomic.ts, issued directly on the same server, table and value
// encoding, without the engine, Keyv, or the store class. Each backend gets its own table / key
// prefix with this run's id, and `close()` removes them.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createIdempotency, JsonlAuditLog, MemoryStore } from "@agent-idempotency/core";
import { MysqlStore } from "@agent-idempotency/store-mysql";
import { PostgresAuditLog, PostgresStore } from "@agent-idempotency/store-postgres";
import { COMPARE_AND_SET } from "@agent-idempotency/store-redis/scripts";
import { RedisStore } from "@agent-idempotency/store-redis";
import { SqliteAuditLog, SqliteStore } from "@agent-idempotency/store-sqlite";
import { createClient } from "@keyv/redis";
import mysql from "mysql2/promise";
import pg from "pg";
import sqlite3 from "sqlite3";
import { deleteRedisPrefix, MYSQL_URL, PG_URL, REDIS_URL, RUN_ID, TOOLS } from "./workload.mjs";

const HOUR = 3_600_000;

/** An engine on `store` with the suite's tools; exported for sections that build their own. */
export const engineOf = (store, extra = {}) => createIdempotency({ store, tools: TOOLS, onWarning: () => undefined, ...extra });

/**
 * What the store writes for key `k`, in Keyv's encoding: the in-progress record of the claim and
 * the completed record that replaces it (same fields, same sizes as KeyvBackedStore writes).
 */
export function floorValues(k) {
  const now = Date.now();
  const base = `"v":1,"key":"${k}","scope":"s-bench","action":"book_calendar","fingerprint":"0123456789abcdef0123456789abcdef","token":"3f0c4b5e-6a1d-4c2b-9e8f-0a1b2c3d4e5f","attempt":1,"claimedAt":${now}`;
  const inProgress = `{"value":{${base},"status":"in_progress","leaseUntil":${now + 60_000}},"expires":${now + 60_000 + 24 * HOUR}}`;
  const completed = `{"value":{${base},"status":"completed","value":{"booking_id":"b_1","status":"confirmed","slot":{"start":"2026-12-01T10:00:00Z","end":"2026-12-01T10:30:00Z"}},"completedAt":${now},"expiresAt":${now + 24 * HOUR}},"expires":${now + 24 * HOUR}}`;
  return { inProgress, completed, leaseEnd: now + 60_000 + 24 * HOUR, end: now + 24 * HOUR };
}

/** The in-process store: the floor is the two Map writes its AtomicOps make. */
async function memory() {
  const store = new MemoryStore();
  const map = new Map();
  const floor = {
    async fresh(k) {
      const v = floorValues(k);
      if (map.get(k) === undefined) map.set(k, v.inProgress);
      if (map.get(k) === v.inProgress) map.set(k, v.completed);
    },
    async replay(k) {
      return map.get(k);
    },
    reset() {
      map.clear();
    },
  };
  // The audit sink that goes with an in-process store: a JSON-lines file.
  const auditPath = join(tmpdir(), `aidem-bench-${RUN_ID}.audit.jsonl`);
  const close = async () => {
    await store.close();
    rmSync(auditPath, { force: true });
  };
  // One store per process: engines of the same process share it.
  return { name: "memory", store, engine: engineOf(store), floor, sibling: () => store, close, auditSink: () => new JsonlAuditLog(auditPath) };
}

/** SQLite in a temp file (WAL). The floor runs the statements of store-sqlite's atomic.ts on a second handle. */
async function sqlite() {
  const path = join(tmpdir(), `aidem-bench-${RUN_ID}.db`);
  const store = new SqliteStore({ path, table: "keyv" });
  await store.setup();
  const db = await new Promise((resolve, reject) => {
    const d = new sqlite3.Database(path, (e) => (e ? reject(e) : resolve(d)));
  });
  db.configure("busyTimeout", 5000);
  const prep = (sql) => new Promise((resolve, reject) => { const s = db.prepare(sql, (e) => (e ? reject(e) : resolve(s))); });
  const insert = await prep(`INSERT INTO ${store.table}(key, value) VALUES(?, ?) ON CONFLICT(key) DO NOTHING RETURNING 1 AS inserted`);
  const cas = await prep(`UPDATE ${store.table} SET value = ? WHERE key = ? AND value = ?`);
  const get = await prep(`SELECT value FROM ${store.table} WHERE key = ?`);
  const all = (stmt, params) => new Promise((resolve, reject) => stmt.all(params, (e, rows) => (e ? reject(e) : resolve(rows))));
  const run = (stmt, params) => new Promise((resolve, reject) => stmt.run(params, function (e) { e ? reject(e) : resolve(this.changes); }));
  const floor = {
    async fresh(k) {
      const v = floorValues(k);
      await all(insert, [`floor:${k}`, v.inProgress]);
      await run(cas, [v.completed, `floor:${k}`, v.inProgress]);
    },
    // What a replay costs store-sqlite: the insert finds the row, a select reads it.
    async replay(k) {
      const v = floorValues(k);
      if ((await all(insert, [`floor:${k}`, v.inProgress])).length === 0) await all(get, [`floor:${k}`]);
    },
    // The same answer with the select first: a replay then takes no write lock (WAL readers never
    // wait for the writer), and a fresh claim pays one more (cheap, in-process) read.
    async replaySelectFirst(k) {
      if ((await all(get, [`floor:${k}`])).length === 0) await all(insert, [`floor:${k}`, floorValues(k).inProgress]);
    },
  };
  const close = async () => {
    for (const s of [insert, cas, get]) await new Promise((r) => s.finalize(r));
    await new Promise((r) => db.close(r));
    await store.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
  };
  // The audit log in the store's own file, as its README suggests.
  const auditSink = () => new SqliteAuditLog({ path, table: `audit_${RUN_ID}` });
  return { name: "sqlite", store, engine: engineOf(store), floor, sibling: () => new SqliteStore({ path, table: "keyv" }), close, auditSink };
}

/** PostgreSQL: the floor is store-postgres's claim statement and compare-and-set, on a pool of its own. */
async function postgres() {
  const table = `aidem_bench_${RUN_ID}`;
  const store = new PostgresStore({ uri: PG_URL, table, purgeEvery: 0 });
  await store.setup();
  const pool = new pg.Pool({ connectionString: PG_URL, max: 10 });
  const t = `"public"."${table}"`;
  const claimSql =
    `WITH ins AS (INSERT INTO ${t} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING 1) ` +
    `SELECT EXISTS (SELECT 1 FROM ins) AS inserted, (SELECT value FROM ${t} WHERE key = $1) AS existing`;
  const casSql = `UPDATE ${t} SET value = $3 WHERE key = $1 AND value = $2`;
  const floor = {
    async fresh(k) {
      const v = floorValues(k);
      await pool.query(claimSql, [`floor:${k}`, v.inProgress]);
      await pool.query(casSql, [`floor:${k}`, v.inProgress, v.completed]);
    },
    async replay(k) {
      await pool.query(claimSql, [`floor:${k}`, floorValues(k).inProgress]);
    },
  };
  // A second store on a counting pool: how many statements a fresh call and a replay send.
  const counted = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const countingPool = { statements: 0, query: (...a) => (countingPool.statements++, counted.query(...a)), connect: () => counted.connect(), on: (...a) => counted.on(...a), removeListener: (...a) => counted.removeListener(...a) };
  const countingStore = new PostgresStore({ pool: countingPool, table, purgeEvery: 0 });
  const close = async () => {
    await store.close();
    await countingStore.close();
    await pool.query(`DROP TABLE IF EXISTS ${t}, "public"."${table}_migrations", "public"."${table}_audit", "public"."${table}_audit_migrations"`);
    await pool.end();
    await counted.end();
  };
  const sibling = () => new PostgresStore({ uri: PG_URL, table, purgeEvery: 0, poolSize: 2 });
  const auditSink = () => new PostgresAuditLog({ uri: PG_URL, table: `${table}_audit` });
  return { name: "postgres", store, engine: engineOf(store), floor, sibling, close, auditSink, counting: { engine: engineOf(countingStore), live: engineOf(countingStore, { liveDetection: true }), count: () => countingPool.statements } };
}

/** Redis: the floor is `SET … NX PXAT … GET` and the compare-and-set script, on a client of its own. */
async function redis() {
  const prefix = `aidem-bench-${RUN_ID}`;
  const store = new RedisStore({ url: REDIS_URL, prefix });
  await store.setup();
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  await client.sendCommand(["SCRIPT", "LOAD", COMPARE_AND_SET.source]);
  const floor = {
    async fresh(k) {
      const v = floorValues(k);
      const key = `${prefix}-floor:${k}`;
      await client.sendCommand(["SET", key, v.inProgress, "NX", "PXAT", String(v.leaseEnd), "GET"]);
      await client.sendCommand(["EVALSHA", COMPARE_AND_SET.sha, "1", key, v.inProgress, v.completed, String(v.end)]);
    },
    async replay(k) {
      const v = floorValues(k);
      await client.sendCommand(["SET", `${prefix}-floor:${k}`, v.inProgress, "NX", "PXAT", String(v.leaseEnd), "GET"]);
    },
  };
  // A second store on a counting client: how many commands a fresh call and a replay send.
  const countedClient = createClient({ url: REDIS_URL });
  let commands = 0;
  const send = countedClient.sendCommand.bind(countedClient);
  countedClient.sendCommand = (...a) => (commands++, send(...a));
  const countingStore = new RedisStore({ client: countedClient, prefix: `${prefix}-counted` });
  const close = async () => {
    await store.close();
    await countingStore.close();
    await deleteRedisPrefix(client, prefix);
    await client.close();
    if (countedClient.isOpen) await countedClient.close();
  };
  return { name: "redis", store, engine: engineOf(store), floor, sibling: () => new RedisStore({ url: REDIS_URL, prefix }), close, counting: { engine: engineOf(countingStore), live: engineOf(countingStore, { liveDetection: true }), count: () => commands } };
}

/**
 * MySQL / MariaDB: the floor is store-mysql's `INSERT IGNORE` and compare-and-set `UPDATE`, on a
 * pool of its own; a replay is the `INSERT IGNORE` that finds the row plus the `SELECT` that reads
 * it (what store-mysql sends: MySQL has no `RETURNING`).
 */
async function mysqlBackend() {
  const table = `aidem_bench_${RUN_ID}`;
  const store = new MysqlStore({ uri: MYSQL_URL, table, purgeEvery: 0 });
  await store.setup();
  const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 10 });
  const t = `\`${table}\``;
  const claimSql = `INSERT IGNORE INTO ${t} (id, value, expires_at) VALUES (?, ?, ?)`;
  const casSql = `UPDATE ${t} SET value = ?, expires_at = ? WHERE id = ? AND value = ?`;
  const floor = {
    async fresh(k) {
      const v = floorValues(k);
      await pool.query(claimSql, [`floor:${k}`, v.inProgress, v.leaseEnd]);
      await pool.query(casSql, [v.completed, v.end, `floor:${k}`, v.inProgress]);
    },
    async replay(k) {
      const v = floorValues(k);
      const [r] = await pool.query(claimSql, [`floor:${k}`, v.inProgress, v.leaseEnd]);
      if (r.affectedRows === 0) await pool.query(`SELECT value FROM ${t} WHERE id = ?`, [`floor:${k}`]);
    },
  };
  // A second store on a counting pool: how many statements a fresh call and a replay send.
  const counted = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
  let statements = 0;
  const countingPool = { query: (...a) => (statements++, counted.query(...a)), getConnection: () => counted.getConnection(), end: () => counted.end(), pool: counted.pool };
  const countingStore = new MysqlStore({ pool: countingPool, table, purgeEvery: 0 });
  const close = async () => {
    await store.close();
    await countingStore.close();
    await pool.query(`DROP TABLE IF EXISTS ${t}, \`${table}_migrations\``);
    await pool.end();
    await counted.end();
  };
  const sibling = () => new MysqlStore({ uri: MYSQL_URL, table, purgeEvery: 0, poolSize: 2 });
  return { name: "mysql", store, engine: engineOf(store), floor, sibling, close, counting: { engine: engineOf(countingStore), live: engineOf(countingStore, { liveDetection: true }), count: () => statements } };
}

/** Opens the backends by name; a server that does not answer is reported and skipped, not faked. */
export async function openBackends(names, log) {
  const makers = { memory, sqlite, postgres, redis, mysql: mysqlBackend };
  const out = [];
  for (const name of names) {
    try {
      out.push(await makers[name]());
    } catch (error) {
      log(`  ${name}: skipped (${error?.message ?? error})`);
    }
  }
  return out;
}
