/**
 * Finds the real servers the store tests talk to and hands their URLs to the tests
 * (`inject("pgUrl")`). URLs come from IDEMPOTENCY_PG_URL / IDEMPOTENCY_REDIS_URL /
 * IDEMPOTENCY_MYSQL_URL, else the local
 * defaults are probed. A missing server skips its suites with a loud banner; under CI=true it
 * fails the run instead, because a green CI must mean the stores were tested.
 */
import { execFileSync } from "node:child_process";
import { connect } from "node:net";
import type { TestProject } from "vitest/node";
// @ts-expect-error: a plain .mjs helper (shared with .ci/run), no type declarations
import { startCluster, stopCluster } from "./redis-cluster.mjs";

const services = {
  pgUrl: { env: "IDEMPOTENCY_PG_URL", fallback: "postgres://postgres@127.0.0.1:5432/test", label: "PostgreSQL" },
  redisUrl: { env: "IDEMPOTENCY_REDIS_URL", fallback: "redis://127.0.0.1:6379", label: "Redis" },
  mysqlUrl: { env: "IDEMPOTENCY_MYSQL_URL", fallback: "mysql://root@127.0.0.1:3306/test", label: "MySQL/MariaDB" },
} as const;

const DEFAULT_PORTS: Record<string, number> = { "redis:": 6379, "rediss:": 6379, "mysql:": 3306, "mariadb:": 3306 };

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || DEFAULT_PORTS[u.protocol] || 5432);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port, timeout: 1500 });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
  });
}

/** True when `cmd` is on PATH. */
function has(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * The Redis Cluster: the nodes in IDEMPOTENCY_REDIS_CLUSTER_URL (comma-separated redis:// URLs,
 * as .ci/run exports them), else one started here (3 masters + 3 replicas on free loopback
 * ports, see redis-cluster.mjs) and stopped by pid after the run.
 */
async function redisCluster(): Promise<{ rootNodes: string[] | undefined; missing?: string; stop?: () => Promise<void> }> {
  const given = process.env.IDEMPOTENCY_REDIS_CLUSTER_URL;
  if (given) {
    const rootNodes = given.split(",").map((u) => u.trim()).filter(Boolean);
    return (await reachable(rootNodes[0]!)) ? { rootNodes } : { rootNodes: undefined, missing: `Redis Cluster (${given}; IDEMPOTENCY_REDIS_CLUSTER_URL)` };
  }
  if (!has("redis-server") || !has("redis-cli")) return { rootNodes: undefined, missing: "Redis Cluster (redis-server and redis-cli are not installed; or set IDEMPOTENCY_REDIS_CLUSTER_URL)" };
  try {
    const state = await startCluster({ nodeTimeoutMs: 2000 });
    return { rootNodes: state.nodes.map((n: { port: number }) => `redis://127.0.0.1:${n.port}`), stop: () => stopCluster(state) };
  } catch (error) {
    return { rootNodes: undefined, missing: `Redis Cluster (starting one failed: ${(error as Error).message})` };
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const missing: string[] = [];
  // vitest runs this once per project and once for the root workspace; the root's provided
  // values reach every project, so only the root starts (and later stops) the cluster.
  const cluster = project.name === "" ? await redisCluster() : { rootNodes: undefined, stop: undefined, missing: undefined };
  if (project.name === "") project.provide("redisClusterNodes", cluster.rootNodes);
  if (cluster.missing) missing.push(cluster.missing);
  for (const [name, s] of Object.entries(services) as [keyof typeof services, (typeof services)[keyof typeof services]][]) {
    const url = process.env[s.env] || s.fallback;
    if (await reachable(url)) project.provide(name, url);
    else {
      project.provide(name, undefined);
      missing.push(`${s.label} (${url}; set ${s.env})`);
    }
  }
  if (missing.length === 0) return cluster.stop;
  if (process.env.CI === "true") {
    await cluster.stop?.();
    throw new Error(`CI=true but these servers do not answer: ${missing.join(", ")}. Start them (see DEVELOPERS.md) or unset CI.`);
  }
  const bar = "!".repeat(78);
  console.warn(`\n${bar}\n!! SKIPPING the suites that need: ${missing.join(", ")}\n!! Start the servers (DEVELOPERS.md) to run them.\n${bar}\n`);
  return cluster.stop;
}
