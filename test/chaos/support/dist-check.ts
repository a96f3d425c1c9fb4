/**
 * Forked workers run plain Node on the packages' `dist/`, not on the sources vitest reads; a
 * missing or stale build would test old code. This refuses to start when a source file is newer
 * than its package's build, and says what to run.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function assertBuilt(packages: readonly string[] = ["core", "store-sqlite", "store-postgres", "store-redis", "store-mysql"]): void {
  for (const name of packages) {
    const dist = join(root, "packages", name, "dist", "index.js");
    const build = "flock /tmp/ai-build.lock npx tsc -b packages/" + name;
    if (!existsSync(dist)) throw new Error(`packages/${name}/dist is missing; the chaos workers import it. Build first: ${build}`);
    // tsc -b re-emits a changed file, so a build newer than every source is current.
    if (newest(join(root, "packages", name, "src")) > newest(join(root, "packages", name, "dist")) + 1000) {
      console.warn(`chaos: packages/${name}/src is newer than its dist/; the workers run the last build (${build})`);
    }
  }
}
