// Bytes allocated per guarded call on a memory store, ours and the peers', in a child process with
// --expose-gc (see alloc-child.mjs). Allocation does not drift with machine load as times do.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export async function allocSection(_opts, log) {
  log("  alloc: bytes per call (child process, --expose-gc)");
  const r = await new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL("./alloc-child.mjs", import.meta.url)), [], {
      execArgv: ["--expose-gc", "--max-semi-space-size=64"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.once("message", resolve);
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`alloc-child exited with ${code}`))));
  });
  const results = { raw: r };
  const rows = [];
  for (const lib of ["ours", "powertools", "node-idempotency"]) {
    const fresh = r[`${lib} fresh`] - r.bare;
    const replay = r[`${lib} replay`] - r.bare;
    results[lib] = { freshBytes: fresh, replayBytes: replay };
    rows.push({ library: lib, fresh: `${Math.round(fresh)} B`, replay: `${Math.round(replay)} B` });
  }
  return { results, rows };
}
