/**
 * Store faults while an agent keeps calling a guarded tool: Postgres sessions terminated, the
 * database refusing connections for a while (what a restart looks like to a client), connections
 * cut mid-query; Redis clients killed, Redis unreachable for a while, connections cut; the SQLite
 * file locked by another process, which may also die holding the lock. The shared servers are
 * never restarted: faults are aimed at this run's own sessions, client names and TCP proxies.
 */
import { execSync, fork } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { IdempotencyStore } from "@agent-idempotency/core";
import { postgresBackend, redisBackend, sqliteBackend, type ChaosBackend } from "./support/backends.js";
import { killRedisClients, openRedis, sqlite3Path, withPg, type RedisAdmin } from "./support/drivers.js";
import { runFaults, type FaultStats } from "./support/fault-run.js";
import { FAULTS, FULL, report, TIMEOUT_MS } from "./support/settings.js";
import { TcpProxy } from "./support/tcp-proxy.js";

const pgUrl = inject("pgUrl");
const redisUrl = inject("redisUrl");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

function check(name: string, s: FaultStats, faults = FAULTS): void {
  const { untypedFailures, ...numbers } = s;
  report(`faults/${name}`, { ...numbers, untypedFailures: untypedFailures.length, firstUntyped: untypedFailures.slice(0, 3) });
  expect(s.faults).toBe(faults);
  expect(s.effectsWithoutClaim).toBe(0);
  expect(s.untypedFailures).toEqual([]);
  expect(s.lostRecords).toBe(0);
  expect(s.callsAfterFaults).toBe(20);
  expect(s.executed).toBeGreaterThan(0);
}

/** Runs the agent on `agent` while `inject` strikes; closes both stores. */
async function scenario(name: string, agent: IdempotencyStore, verifier: IdempotencyStore, inject: (i: number) => Promise<void>, faults = FAULTS) {
  try {
    await verifier.setup?.(); // the verifier's own connection (and the schema) exist before the first fault
    await agent.setup?.();
    check(name, await runFaults({ store: agent, verifier, inject, faults }), faults);
  } finally {
    await agent.close().catch(() => undefined);
    await verifier.close().catch(() => undefined);
  }
}

describe("store faults on sqlite", () => {
  let b: ChaosBackend;
  beforeAll(() => {
    b = sqliteBackend();
  });
  afterAll(() => b?.cleanup());

  /** Another process takes the write lock; resolves once it holds it. */
  const lockHolder = (holdMs: number) => {
    const child = fork(new URL("./support/lock-holder.mjs", import.meta.url), [sqlite3Path, b.sqlite!.path, String(holdMs)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const locked = new Promise<void>((resolve) => child.once("message", () => resolve()));
    return { child, exited, locked };
  };

  it("run(): the file locked by another process (shorter and longer than busyTimeoutMs): fail-closed, nothing lost, resumes", { timeout: TIMEOUT_MS }, async () => {
    await scenario("sqlite/locked", b.open("agent", { busyTimeoutMs: 400 }), b.open("verifier"), async () => {
      const h = lockHolder(between(50, 1500));
      await Promise.race([h.locked, h.exited]);
      await h.exited;
    });
  });

  it("run(): the process holding the lock is SIGKILLed: the lock goes with it, the agent carries on", { timeout: TIMEOUT_MS }, async () => {
    await scenario("sqlite/lock-holder-killed", b.open("agent", { busyTimeoutMs: 400 }), b.open("verifier"), async () => {
      const h = lockHolder(60_000);
      await Promise.race([h.locked, h.exited]);
      await sleep(between(0, 800));
      h.child.kill("SIGKILL");
      await h.exited;
    });
  });
});

describe.skipIf(!pgUrl)("store faults on postgres", () => {
  let b: ChaosBackend;
  let proxy: TcpProxy;
  beforeAll(async () => {
    b = await postgresBackend(pgUrl!);
    const u = new URL(pgUrl!);
    proxy = await new TcpProxy({ host: u.hostname, port: Number(u.port || 5432) }).start();
  });
  afterAll(async () => {
    await proxy?.stop();
    await b?.cleanup();
  });
  /** Terminates this run's agent sessions (by application_name), never anybody else's. */
  const terminateAgent = (c: import("pg").Client) =>
    c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2", [b.pg!.db, b.connectionName("agent")]);

  it("run(): the agent's sessions terminated (pg_terminate_backend) at random moments", { timeout: TIMEOUT_MS }, async () => {
    await scenario("postgres/terminated", b.open("agent"), b.open("verifier"), () => withPg(pgUrl!, terminateAgent).then(() => undefined));
  });

  it("run(): the database refuses connections for a while and its sessions die (a restart, as clients see it)", { timeout: TIMEOUT_MS }, async () => {
    const db = b.pg!.db;
    await scenario("postgres/down-and-up", b.open("agent"), b.open("verifier"), async () => {
      await withPg(pgUrl!, async (c) => {
        await c.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS false`);
        await terminateAgent(c);
      });
      await sleep(between(200, 1200));
      await withPg(pgUrl!, (c) => c.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`));
    });
  });

  it("run(): connections cut mid-query (TCP reset between the agent and the server)", { timeout: TIMEOUT_MS }, async () => {
    const u = new URL(b.pg!.uri("agent"));
    u.host = `127.0.0.1:${proxy.port}`;
    await scenario("postgres/cut", b.open("agent", { uri: u.href }), b.open("verifier"), async () => {
      proxy.cut();
    });
  });
});

/**
 * A real restart of the PostgreSQL server, once. It disturbs every other client of the server,
 * so it runs only in the full chaos run and only when asked for: CHAOS_PG_RESTART=1 (the command
 * can be replaced with CHAOS_PG_RESTART_CMD). The simulated restart above runs always.
 */
describe.skipIf(!pgUrl || !FULL || process.env.CHAOS_PG_RESTART !== "1")("a real postgres restart", () => {
  let b: ChaosBackend;
  beforeAll(async () => {
    b = await postgresBackend(pgUrl!);
  });
  afterAll(() => b?.cleanup());

  it("run(): the server restarted under load: fail-closed while it is down, nothing lost, the same store carries on", { timeout: TIMEOUT_MS }, async () => {
    const cmd = process.env.CHAOS_PG_RESTART_CMD ?? 'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main restart';
    await scenario("postgres/real-restart", b.open("agent"), b.open("verifier"), async () => {
      execSync(cmd, { stdio: "inherit", shell: "/bin/sh" });
    }, 1);
  });
});

describe.skipIf(!redisUrl)("store faults on redis", () => {
  let b: ChaosBackend;
  let proxy: TcpProxy;
  let admin: RedisAdmin;
  beforeAll(async () => {
    b = redisBackend(redisUrl!);
    const u = new URL(redisUrl!);
    proxy = await new TcpProxy({ host: u.hostname, port: Number(u.port || 6379) }).start();
    admin = await openRedis(redisUrl!);
  });
  afterAll(async () => {
    await proxy?.stop();
    await admin?.close();
    await b?.cleanup();
  });
  const viaProxy = () => `redis://127.0.0.1:${proxy.port}`;

  it("run(): the agent's connections killed (CLIENT KILL by its client name)", { timeout: TIMEOUT_MS }, async () => {
    await scenario("redis/client-killed", b.open("agent"), b.open("verifier"), async () => {
      await killRedisClients(admin, b.connectionName("agent"));
    });
  });

  it("run(): Redis unreachable for a while, then back (the server restarting, as the agent sees it)", { timeout: TIMEOUT_MS }, async () => {
    await scenario("redis/down-and-up", b.open("agent", { url: viaProxy() }), b.open("verifier"), async () => {
      await proxy.stop();
      await sleep(between(200, 1200));
      await proxy.start();
    });
  });

  it("run(): connections cut mid-command (TCP reset between the agent and the server)", { timeout: TIMEOUT_MS }, async () => {
    await scenario("redis/cut", b.open("agent", { url: viaProxy() }), b.open("verifier"), async () => {
      proxy.cut();
    });
  });
});
