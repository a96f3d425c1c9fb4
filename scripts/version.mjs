#!/usr/bin/env node
/**
 * `pnpm run version`: applies the changesets (versions and CHANGELOG.md sections), then folds each
 * CHANGELOG's `## Unreleased` notes into the version just written.
 *
 * Our packages name each other as peers (`workspace:^`, published as `^<version>`). In 0.x a minor
 * release leaves that range, and changesets then makes every dependent a *major* release: 0.1.0
 * would become 1.0.0. Our packages are versioned together (`fixed` in .changeset/config.json), so
 * that escalation means nothing here. While `changeset version` runs, those peer ranges read
 * `workspace:>=0.0.0` (with `onlyUpdatePeerDependentsWhenOutOfRange`, in range means no
 * escalation); afterwards they are put back exactly as they were, so what is published stays
 * `^<new version>`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const config = JSON.parse(readFileSync(join(root, ".changeset", "config.json"), "utf8"));
const group = new Set(config.fixed.flat());

const manifests = readdirSync(join(root, "packages"))
  .map((d) => join(root, "packages", d, "package.json"))
  .filter((f) => existsSync(f));
const saved = new Map();
for (const file of manifests) {
  const pkg = JSON.parse(readFileSync(file, "utf8"));
  const peers = pkg.peerDependencies ?? {};
  const ours = Object.keys(peers).filter((name) => group.has(name) && peers[name].startsWith("workspace:"));
  if (ours.length === 0) continue;
  saved.set(file, Object.fromEntries(ours.map((name) => [name, peers[name]])));
  for (const name of ours) peers[name] = "workspace:>=0.0.0";
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
}

try {
  execFileSync(join(root, "node_modules", ".bin", "changeset"), ["version"], { cwd: root, stdio: "inherit" });
} finally {
  for (const [file, ranges] of saved) {
    const pkg = JSON.parse(readFileSync(file, "utf8"));
    Object.assign(pkg.peerDependencies, ranges);
    writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  }
}
execFileSync(process.execPath, [join(root, "scripts", "fold-unreleased.mjs")], { cwd: root, stdio: "inherit" });
