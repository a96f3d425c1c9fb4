#!/usr/bin/env node
/**
 * Run after `changeset version` (`pnpm run version` does both): the notes a package kept under
 * `## Unreleased` in its CHANGELOG.md describe the version changesets just wrote above them, so
 * that heading becomes `### Details` of the new version's section. A CHANGELOG whose first section
 * is still `## Unreleased` (no new version for it) is left alone.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
for (const dir of readdirSync(join(root, "packages"))) {
  const file = join(root, "packages", dir, "CHANGELOG.md");
  if (!existsSync(file)) continue;
  const text = readFileSync(file, "utf8");
  const headings = [...text.matchAll(/^## (.+)$/gm)];
  // Only when a freshly written version heading comes right before `## Unreleased`.
  if (headings.length < 2 || !/^\d+\.\d+\.\d+/.test(headings[0][1]) || headings[1][1] !== "Unreleased") continue;
  const at = headings[1].index;
  writeFileSync(file, `${text.slice(0, at)}### Details${text.slice(at + "## Unreleased".length)}`);
  console.log(`fold-unreleased: ${dir}: the Unreleased notes are now part of ${headings[0][1]}`);
}
