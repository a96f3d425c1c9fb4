/**
 * A PgBouncer of the test's own in front of the shared Postgres: Debian's `pgbouncer` binary on a
 * free loopback port, its config, pid file and log in a temp folder, stopped by its pid. As root
 * it runs as the `postgres` user (PgBouncer refuses to run as root).
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const PGBOUNCER = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].find((p) => existsSync(p));

export type PoolMode = "session" | "transaction" | "statement";

export interface Bouncer {
  /** The Postgres URL through the bouncer (same user and database as the target). */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function uidOf(user: string): { uid: number; gid: number } | undefined {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${user}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Starts PgBouncer in `mode` in front of `target` (a postgres:// URL with trust auth). */
export async function startPgBouncer(target: string, mode: PoolMode): Promise<Bouncer> {
  if (!PGBOUNCER) throw new Error("pgbouncer is not installed (apt-get install pgbouncer, or run .ci/install-extras)");
  const t = new URL(target);
  const db = t.pathname.slice(1) || "postgres";
  const user = decodeURIComponent(t.username || "postgres");
  const dir = mkdtempSync(join(tmpdir(), "aidem-pgbouncer-"));
  const port = await freePort();
  const pidfile = join(dir, "pgbouncer.pid");
  writeFileSync(join(dir, "userlist.txt"), `"${user}" ""\n`);
  writeFileSync(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `${db} = host=${t.hostname} port=${t.port || 5432} dbname=${db}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "userlist.txt")}`,
      `pool_mode = ${mode}`,
      "max_client_conn = 400",
      "default_pool_size = 20",
      `logfile = ${join(dir, "pgbouncer.log")}`,
      `pidfile = ${pidfile}`,
    ].join("\n") + "\n",
  );
  const args = ["-d", join(dir, "pgbouncer.ini")];
  const owner = process.getuid?.() === 0 ? uidOf("postgres") : undefined;
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    for (const f of ["userlist.txt", "pgbouncer.ini"]) chownSync(join(dir, f), owner.uid, owner.gid);
    args.unshift("-u", "postgres");
  }
  await run(PGBOUNCER, args);
  for (let i = 0; !existsSync(pidfile); i++) {
    if (i > 100) throw new Error(`pgbouncer did not start: ${existsSync(join(dir, "pgbouncer.log")) ? readFileSync(join(dir, "pgbouncer.log"), "utf8") : "no log"}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = Number(readFileSync(pidfile, "utf8").trim());
  const url = new URL(target);
  url.port = String(port);
  url.hostname = "127.0.0.1";
  return {
    url: url.href,
    pid,
    async stop() {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
