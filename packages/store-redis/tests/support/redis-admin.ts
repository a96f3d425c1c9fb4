/**
 * A separate connection for tests: inspects what the store wrote (TTLs, raw values), kills the
 * store's own connection by name, and deletes a test's keys. It never touches keys outside the
 * test's prefix and never restarts or flushes the shared server.
 */
import { randomUUID } from "node:crypto";
import { createClient, createCluster } from "@keyv/redis";

const newAdmin = (url: string) => createClient({ url, name: "store-redis-test-admin" });
export type AdminClient = ReturnType<typeof newAdmin>;

/** A fresh prefix per test file or test, recognisable as ours (`sr-<tag>-<random>`). */
export function uniquePrefix(tag: string): string {
  return `sr-${tag}-${randomUUID().slice(0, 8)}`;
}

export async function openAdmin(url: string): Promise<AdminClient> {
  const client = newAdmin(url);
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** Deletes every key of the prefix: `<prefix>::…` (the adapter's layout). */
export async function deletePrefix(url: string, prefix: string): Promise<number> {
  const admin = await openAdmin(url);
  try {
    let cursor = "0";
    let n = 0;
    do {
      const [next, keys] = (await admin.sendCommand(["SCAN", cursor, "MATCH", `${prefix}::*`, "COUNT", "1000"])) as [string, string[]];
      cursor = String(next);
      if (keys.length > 0) n += Number(await admin.sendCommand(["DEL", ...keys]));
    } while (cursor !== "0");
    return n;
  } finally {
    await admin.close();
  }
}

/** Deletes every key of the prefix on every master of a cluster (SCAN per master, DEL per key). */
export async function deleteClusterPrefix(rootNodes: readonly string[], prefix: string): Promise<number> {
  const cluster = createCluster({ rootNodes: rootNodes.map((url) => ({ url })) });
  cluster.on("error", () => undefined);
  await cluster.connect();
  let n = 0;
  try {
    for (const master of cluster.masters) {
      const node = await cluster.nodeClient(master);
      let cursor = "0";
      do {
        const [next, keys] = (await node.sendCommand(["SCAN", cursor, "MATCH", `${prefix}::*`, "COUNT", "1000"])) as [string, string[]];
        cursor = String(next);
        for (const k of keys) n += Number(await node.sendCommand(["DEL", k]));
      } while (cursor !== "0");
    }
    return n;
  } finally {
    cluster.destroy();
  }
}

/** The ids of the server-side connections whose `CLIENT SETNAME` is `name`. */
export async function clientIdsNamed(admin: AdminClient, name: string): Promise<string[]> {
  const list = String(await admin.sendCommand(["CLIENT", "LIST"]));
  return list
    .split("\n")
    .filter((line) => line.split(" ").includes(`name=${name}`))
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
}

/** Kills only the connections named `name` (by id), as a network cut would; returns how many. */
export async function killClientsNamed(admin: AdminClient, name: string): Promise<number> {
  let n = 0;
  for (const id of await clientIdsNamed(admin, name)) n += Number(await admin.sendCommand(["CLIENT", "KILL", "ID", id]));
  return n;
}
