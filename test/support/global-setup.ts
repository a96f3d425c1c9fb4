/**
 * Finds the real servers the store tests talk to and hands their URLs to the tests
 * (`inject("pgUrl")`). URLs come from IDEMPOTENCY_PG_URL / IDEMPOTENCY_REDIS_URL /
 * IDEMPOTENCY_MYSQL_URL, else the local
 * defaults are probed. A missing server skips its suites with a loud banner; under CI=true it
 * fails the run instead, because a green CI must mean the stores were tested.
 */
import { connect } from "node:net";
import type { TestProject } from "vitest/node";

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

export default async function setup(project: TestProject): Promise<void> {
  const missing: string[] = [];
  for (const [name, s] of Object.entries(services) as [keyof typeof services, (typeof services)[keyof typeof services]][]) {
    const url = process.env[s.env] || s.fallback;
    if (await reachable(url)) project.provide(name, url);
    else {
      project.provide(name, undefined);
      missing.push(`${s.label} (${url}; set ${s.env})`);
    }
  }
  if (missing.length === 0) return;
  if (process.env.CI === "true") {
    throw new Error(`CI=true but these servers do not answer: ${missing.join(", ")}. Start them (see DEVELOPERS.md) or unset CI.`);
  }
  const bar = "!".repeat(78);
  console.warn(`\n${bar}\n!! SKIPPING the suites that need: ${missing.join(", ")}\n!! Start the servers (DEVELOPERS.md) to run them.\n${bar}\n`);
}

declare module "vitest" {
  export interface ProvidedContext {
    pgUrl: string | undefined;
    redisUrl: string | undefined;
    mysqlUrl: string | undefined;
  }
}
