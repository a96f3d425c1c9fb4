/**
 * The drivers the harness needs for its admin connections (terminating Postgres sessions, killing
 * Redis clients by name, holding a SQLite lock, dropping MySQL tables): the same versions the store packages use, listed
 * in `@agent-idempotency/test`'s devDependencies. The harness only talks to the servers through
 * these to inject faults and clean up; the code under test uses the stores as an application would.
 */
import { createRequire } from "node:module";
import * as keyvRedis from "@keyv/redis";
import mysql from "mysql2/promise";
import pgModule from "pg";

/** `pg`. */
export const pg = pgModule;

/** node-redis' `createClient`, as `@keyv/redis` (store-redis' adapter) re-exports it. */
export const createRedisClient = (keyvRedis as unknown as { createClient: (o: Record<string, unknown>) => RedisAdmin }).createClient;

/** Absolute path of the `sqlite3` binding (forked lock holders require it). */
export const sqlite3Path = createRequire(import.meta.url).resolve("sqlite3");

/** The few node-redis client methods the harness uses. */
export interface RedisAdmin {
  connect(): Promise<unknown>;
  close(): Promise<void>;
  on(event: "error", fn: (e: unknown) => void): unknown;
  sendCommand(args: string[]): Promise<unknown>;
}

/** Opens a Postgres admin connection (not a store's pool), runs `fn`, closes it. */
export async function withPg<T>(uri: string, fn: (c: import("pg").Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: uri, application_name: "aidem-chaos-admin" });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Opens a MySQL admin connection (not a store's pool), runs `fn`, closes it. */
export async function withMysql<T>(uri: string, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ uri });
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/** Opens a Redis admin connection. */
export async function openRedis(url: string): Promise<RedisAdmin> {
  const client = createRedisClient({ url, name: "aidem-chaos-admin" });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** Kills (by id) only the Redis connections whose CLIENT SETNAME is `name`; returns how many. */
export async function killRedisClients(admin: RedisAdmin, name: string): Promise<number> {
  const list = String(await admin.sendCommand(["CLIENT", "LIST"]));
  let n = 0;
  for (const line of list.split("\n")) {
    if (!line.split(" ").includes(`name=${name}`)) continue;
    const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
    if (id) n += Number(await admin.sendCommand(["CLIENT", "KILL", "ID", id]).catch(() => 0));
  }
  return n;
}

/** Deletes every Redis key of a store prefix (`<prefix>::…`, the adapter's layout), never others. */
export async function deleteRedisPrefix(admin: RedisAdmin, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = (await admin.sendCommand(["SCAN", cursor, "MATCH", `${prefix}::*`, "COUNT", "1000"])) as [string, string[]];
    cursor = String(next);
    if (keys.length > 0) await admin.sendCommand(["DEL", ...keys]);
  } while (cursor !== "0");
}
