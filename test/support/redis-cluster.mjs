#!/usr/bin/env node
// A throwaway Redis Cluster on loopback: 3 masters with one replica each (by default), started
// with `redis-server --cluster-enabled yes` and joined with `redis-cli --cluster create`. Every
// node runs daemonized with its nodes.conf, pid file and log in one temp folder; stopping the
// cluster signals exactly those pids (never a process by name) and removes the folder.
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

/** True when a TCP port on 127.0.0.1 can be bound right now. */
function portFree(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** `count` ports p whose cluster bus ports p + 10000 are free too. */
async function freePorts(count) {
  const out = [];
  for (let tries = 0; out.length < count && tries < 500; tries++) {
    const p = 20000 + Math.floor(Math.random() * 20000);
    if (out.includes(p) || out.includes(p + 10000) || out.includes(p - 10000)) continue;
    if ((await portFree(p)) && (await portFree(p + 10000))) out.push(p);
  }
  if (out.length < count) throw new Error("no free loopback ports for a Redis Cluster");
  return out;
}

async function cli(port, ...args) {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 10_000 });
  return stdout.trim();
}

async function until(what, check, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`Redis Cluster: ${what} did not happen within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Starts one node; resolves with its pid once it answers PING. */
export async function startNode(dir, port, nodeTimeoutMs) {
  const pidfile = join(dir, `${port}.pid`);
  rmSync(pidfile, { force: true });
  await run("redis-server", [
    "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
    "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", String(nodeTimeoutMs),
    "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidfile,
    "--logfile", join(dir, `${port}.log`), "--maxmemory-policy", "noeviction",
  ]);
  await until(`node ${port} answering`, async () => (await cli(port, "ping")) === "PONG");
  await until(`node ${port} pid file`, () => existsSync(pidfile));
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
 */
export async function startCluster({ masters = 3, replicasPerMaster = 1, nodeTimeoutMs = 2000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "aidem-redis-cluster-"));
  const state = { dir, url: "", nodes: [] };
  const save = () => writeFileSync(join(dir, "cluster.json"), JSON.stringify(state));
  try {
    const ports = await freePorts(masters * (1 + replicasPerMaster));
    for (const port of ports) {
      state.nodes.push({ port, pid: await startNode(dir, port, nodeTimeoutMs) });
      save();
    }
    state.url = `redis://127.0.0.1:${ports[0]}`;
    save();
    await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", String(replicasPerMaster), "--cluster-yes"], { timeout: 60_000 });
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
