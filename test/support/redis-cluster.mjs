#!/usr/bin/env node
// A throwaway Redis Cluster on loopback: 3 masters with one replica each (by default), started
// with `redis-server --cluster-enabled yes` and joined with `redis-cli --cluster create`. Every
// node runs daemonized with its nodes.conf, pid file and log in one temp folder; stopping the
// cluster signals exactly those pids (never a process by name) and removes the folder.
//
// Start-up is made to survive a loaded machine shared with other test runs: ports are picked below
// the kernel's ephemeral range (a client socket's local port there can take a port between our
// check and the node's bind); a node that cannot bind (its log says so: redis-server --daemonize
// exits 0 either way) is restarted on other ports at once instead of being waited for; and the
// waits for the cluster to form are long (AIDEM_REDIS_CLUSTER_WAIT_MS, default 120 s) but end as
// soon as a node is seen dead, with its log's reason.
//
// Used by the tests (test/support/global-setup.ts, the failover test) and by .ci/run:
//   node test/support/redis-cluster.mjs start [--node-timeout=MS]   prints the state as JSON
//   node test/support/redis-cluster.mjs stop DIR                      stops the cluster in DIR
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** How long each step of forming the cluster may take on a loaded machine. */
const WAIT_MS = Number(process.env.AIDEM_REDIS_CLUSTER_WAIT_MS ?? 120_000);
/** Attempts at starting one node on fresh ports when its port was taken meanwhile. */
const NODE_ATTEMPTS = 5;

/** The lowest port of the kernel's ephemeral range (client sockets take local ports from it). */
function ephemeralLow() {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/** True when a TCP port on 127.0.0.1 can be bound right now. */
function portFree(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/**
 * `count` ports p whose cluster bus ports p + 10000 are free too, all below the ephemeral range,
 * and none of `taken` (or their bus ports).
 */
async function freePorts(count, taken = []) {
  const out = [];
  const top = Math.max(12_000, Math.min(ephemeralLow(), 65_536) - 10_000); // p + 10000 stays below it
  const used = (p) => [...taken, ...out].some((q) => q === p || q === p + 10000 || q === p - 10000);
  for (let tries = 0; out.length < count && tries < 500; tries++) {
    const p = 10_000 + Math.floor(Math.random() * (top - 10_000));
    if (used(p)) continue;
    if ((await portFree(p)) && (await portFree(p + 10000))) out.push(p);
  }
  if (out.length < count) throw new Error("no free loopback ports for a Redis Cluster");
  return out;
}

async function cli(port, ...args) {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 10_000 });
  return stdout.trim();
}

async function until(what, check, timeoutMs = WAIT_MS, dead = () => undefined) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    // First: a node that gave up (its log says why) is not waited for, nor asked (a port some
    // other process holds may accept the connection and never answer).
    const why = dead();
    if (why !== undefined) throw Object.assign(new Error(`Redis Cluster: ${what} will not happen: ${why}`), { why });
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`Redis Cluster: ${what} did not happen within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The reason in a node's log when it gave up starting (`# Failed listening on port …, aborting.`). */
function startFailure(logfile) {
  let log;
  try {
    log = readFileSync(logfile, "utf8");
  } catch {
    return undefined; // not written yet
  }
  const lines = log.split("\n").filter((l) => / # /.test(l));
  return /aborting|Failed|FATAL|Can't|Could not|Fatal/i.test(lines.join("\n")) ? lines.slice(-2).map((l) => l.replace(/^.* # /, "")).join(" ") : undefined;
}

/** Starts one node; resolves with its pid once it answers PING, fails at once if it gave up. */
export async function startNode(dir, port, nodeTimeoutMs) {
  const pidfile = join(dir, `${port}.pid`);
  const logfile = join(dir, `${port}.log`);
  rmSync(pidfile, { force: true });
  rmSync(logfile, { force: true });
  await run("redis-server", [
    "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
    "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", String(nodeTimeoutMs),
    "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidfile,
    "--logfile", logfile, "--maxmemory-policy", "noeviction",
  ], { timeout: WAIT_MS });
  const dead = () => startFailure(logfile);
  // The pid file first (a file check, every 100 ms): a node that could not bind writes none, and
  // its log says why; pinging its port could reach whichever process holds it instead.
  await until(`node ${port} pid file`, () => existsSync(pidfile), WAIT_MS, dead);
  await until(`node ${port} answering`, async () => (await cli(port, "ping")) === "PONG", WAIT_MS, dead);
  return Number(readFileSync(pidfile, "utf8").trim());
}

/** The role (master/slave) and node id each running node reports. */
export async function roles(ports) {
  const out = [];
  for (const port of ports) {
    try {
      const info = await cli(port, "info", "replication");
      const id = await cli(port, "cluster", "myid");
      out.push({ port, role: /role:(\w+)/.exec(info)?.[1], id });
    } catch {
      out.push({ port, role: "down" });
    }
  }
  return out;
}

/**
 * Starts the cluster and waits until it serves every slot with every replica attached.
 * Returns `{ dir, url, nodes: [{ port, pid }] }`; the state is also in `<dir>/cluster.json`.
 * A node whose port was taken meanwhile is started again on another one (`NODE_ATTEMPTS` times).
 */
export async function startCluster({ masters = 3, replicasPerMaster = 1, nodeTimeoutMs = 2000, ports: given } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "aidem-redis-cluster-"));
  const state = { dir, url: "", nodes: [] };
  const save = () => writeFileSync(join(dir, "cluster.json"), JSON.stringify(state));
  try {
    // `ports` (tests): the ports to try first; one that turns out taken is replaced like any other.
    const ports = given ? [...given] : await freePorts(masters * (1 + replicasPerMaster));
    for (let i = 0; i < ports.length; i++) {
      for (let attempt = 1; ; attempt++) {
        try {
          state.nodes.push({ port: ports[i], pid: await startNode(dir, ports[i], nodeTimeoutMs) });
          break;
        } catch (error) {
          // Its port was taken between our check and its bind: another port, at once.
          if (!/Address already in use|bind/i.test(String(error?.why ?? "")) || attempt === NODE_ATTEMPTS) throw error;
          [ports[i]] = await freePorts(1, ports);
        }
      }
      save();
    }
    state.url = `redis://127.0.0.1:${ports[0]}`;
    save();
    await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", String(replicasPerMaster), "--cluster-yes"], { timeout: WAIT_MS });
    for (const port of ports) {
      await until(`cluster_state:ok on ${port}`, async () => /cluster_state:ok/.test(await cli(port, "cluster", "info")) && (await cli(port, "cluster", "info")).includes(`cluster_known_nodes:${ports.length}`));
    }
    await until("every replica in sync", async () => (await roles(ports)).filter((r) => r.role === "master").length === masters &&
      (await Promise.all(ports.map((p) => cli(p, "info", "replication")))).filter((i) => /role:slave/.test(i) && /master_link_status:up/.test(i)).length === masters * replicasPerMaster);
    return state;
  } catch (error) {
    await stopCluster(state);
    throw error;
  }
}

/** Stops the nodes this cluster started (by pid: SIGTERM, then SIGKILL), and removes its folder. */
export async function stopCluster(state) {
  for (const { pid } of state.nodes ?? []) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone (a test killed it)
    }
  }
  const end = Date.now() + 5000;
  for (const { pid } of state.nodes ?? []) {
    while (alive(pid) && Date.now() < end) await sleep(50);
    if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  if (state.dir) rmSync(state.dir, { recursive: true, force: true });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [cmd, arg] = process.argv.slice(2);
  if (cmd === "start") {
    const nodeTimeoutMs = Number(/--node-timeout=(\d+)/.exec(process.argv.join(" "))?.[1] ?? 2000);
    console.log(JSON.stringify(await startCluster({ nodeTimeoutMs })));
  } else if (cmd === "stop" && arg) {
    await stopCluster(JSON.parse(readFileSync(join(arg, "cluster.json"), "utf8")));
  } else {
    console.error("usage: redis-cluster.mjs start [--node-timeout=MS] | stop DIR");
    process.exit(2);
  }
}
