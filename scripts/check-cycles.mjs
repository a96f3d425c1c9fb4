#!/usr/bin/env node
// Fails when source files import each other in a cycle, or when workspace packages depend on each
// other in a cycle (an import cycle makes module initialisation order-dependent; a package cycle
// breaks `tsc -b` and turbo). Relative imports only: package imports are covered by the second check.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const packagesDir = join(root, "packages");
const problems = [];

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.ts$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

function findCycles(graph) {
  const state = new Map();
  const stack = [];
  const cycles = [];
  const visit = (node) => {
    state.set(node, 1);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 1) cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 2);
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

const pkgs = readdirSync(packagesDir).filter((d) => existsSync(join(packagesDir, d, "package.json")));
const pkgGraph = new Map();
for (const dir of pkgs) {
  const manifest = JSON.parse(readFileSync(join(packagesDir, dir, "package.json"), "utf8"));
  // devDependencies are left out: a test-only dependency on a sibling is not a build cycle.
  const deps = { ...manifest.dependencies, ...manifest.peerDependencies };
  pkgGraph.set(manifest.name, Object.keys(deps).filter((d) => d.startsWith("@agent-idempotency/")));

  const src = join(packagesDir, dir, "src");
  if (!existsSync(src)) continue;
  const graph = new Map();
  for (const file of walk(src)) {
    const text = readFileSync(file, "utf8");
    const targets = [];
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+["'](\.[^"']+)["']/g)) {
      targets.push(resolve(dirname(file), m[1].replace(/\.js$/, ".ts")));
    }
    graph.set(file, targets);
  }
  for (const cycle of findCycles(graph)) problems.push(`import cycle in ${dir}: ${cycle.map((f) => relative(src, f)).join(" -> ")}`);
}
for (const cycle of findCycles(pkgGraph)) problems.push(`package cycle: ${cycle.join(" -> ")}`);

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`check:cycles: no import cycles in ${pkgs.length} packages`);
