/**
 * The Redis Cluster the tests start (test/support/redis-cluster.mjs) survives a busy machine: a
 * node whose port is taken fails at once with the reason from its log (redis-server --daemonize
 * exits 0 either way, so it used to be waited for until a 30 s timeout), and the cluster starts it
 * again on another port. Real redis-server processes, stopped by pid.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs helper (shared with .ci/run), no type declarations
import { startCluster, startNode, stopCluster } from "../support/redis-cluster.mjs";

const has = (cmd: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

/** A loopback port held by a plain TCP server, as another process's socket would hold it. */
async function occupied(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe.skipIf(!has("redis-server") || !has("redis-cli"))("redis-cluster.mjs start-up", () => {
  const dir = mkdtempSync(join(tmpdir(), "aidem-cluster-startup-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("startNode(): a port already taken fails within seconds, naming the reason, not after the full wait", async () => {
    const { port, server } = await occupied();
    const started = Date.now();
    try {
      await expect(startNode(dir, port, 2000)).rejects.toThrow(/node \d+ pid file will not happen: .*Address already in use/);
    } finally {
      server.close();
    }
    expect(Date.now() - started).toBeLessThan(30_000); // the wait it replaces was 30 s, now 120 s
  }, 60_000);

  it("startCluster(): a node whose port was taken is started on another port, and the cluster forms", async () => {
    const busy = await occupied();
    let state: { nodes: { port: number; pid: number }[] } | undefined;
    try {
      const free = [12_101, 12_303, 12_505, 12_707, 12_909].map((p) => p + Math.floor(Math.random() * 90) * 100);
      state = await startCluster({ masters: 3, replicasPerMaster: 1, ports: [busy.port, ...free] });
      expect(state!.nodes).toHaveLength(6);
      expect(state!.nodes.map((n) => n.port)).not.toContain(busy.port);
    } finally {
      busy.server.close();
      if (state) await stopCluster(state);
    }
  }, 240_000);
});
