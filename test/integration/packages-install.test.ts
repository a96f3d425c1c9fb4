/**
 * The packages as a user gets them: `pnpm pack` every package (it turns `workspace:` ranges into
 * versions), install the tarballs with npm alone into a fresh project under the system temp folder
 * (outside this workspace, so nothing resolves from it), with their peers from the registry. Then:
 * every entry point imports from ESM and `require()`s from CommonJS (Node ≥ 20.19), every value an
 * entry point exports has a declaration under TypeScript's `node16`, `bundler` and `node10`
 * resolution (`node10` through `typesVersions`, as tslab needs), the `agent-idempotency` binary
 * runs, and publint and attw report nothing on each tarball.
 *
 * About a minute: the install is cache-friendly (`--prefer-offline`, then `--offline` when the
 * registry does not answer); sqlite3's addon is copied from this workspace's build when the
 * versions match (compiling it takes two minutes) and rebuilt otherwise. With no registry and an
 * empty cache the suite is skipped with a banner; under CI=true that is a failure.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const repo = fileURLToPath(new URL("../..", import.meta.url));
const PACKAGES = readdirSync(join(repo, "packages")).filter((d) => existsSync(join(repo, "packages", d, "package.json"))).sort();
const bin = (name: string) => join(repo, "node_modules", ".bin", name);
const NETWORK = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED|request to .* failed/;

interface Manifest {
  name: string;
  version: string;
  exports: Record<string, string | { types: string; default: string }>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const manifests = PACKAGES.map((d) => JSON.parse(readFileSync(join(repo, "packages", d, "package.json"), "utf8")) as Manifest);

/** Every entry point a user can import: `@agent-idempotency/core`, `…/core/store`, … */
const SPECIFIERS = manifests.flatMap((m) =>
  Object.entries(m.exports)
    .filter(([, target]) => typeof target === "object")
    .map(([subpath]) => (subpath === "." ? m.name : `${m.name}/${subpath.slice(2)}`)),
);

/**
 * The peers the packages name, at the versions this workspace tests with (its devDependencies), so
 * the install resolves what the tests ran against and hits npm's cache; plus the types a
 * TypeScript user of those peers installs.
 */
function peers(): Record<string, string> {
  const out: Record<string, string> = { "@types/node": "20.19.43", "@types/pg": "8.23.1", zod: "4.6.7" };
  for (const m of manifests) {
    for (const name of Object.keys(m.peerDependencies ?? {})) {
      if (name.startsWith("@agent-idempotency/")) continue;
      const pinned = manifests.map((x) => x.devDependencies?.[name]).find((v) => v !== undefined && /^\d/.test(v));
      out[name] = pinned ?? m.peerDependencies![name]!;
    }
  }
  return out;
}

/** The environment of the npm and tsc children: without the npm_* settings of the pnpm run we are in. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|pnpm_|PNPM_)/i.test(k)) env[k] = v;
  env.npm_config_nodedir = dirname(dirname(process.execPath)); // for a sqlite3 rebuild, offline
  return env;
}

async function run(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(cmd, args, { cwd, env: childEnv(), timeout, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/** pnpm as this run has it: the one running `pnpm test` (a script, or pnpm 12's own executable), else 12.4.2 through npx. */
function pnpm(): [string, string[]] {
  const execpath = process.env.npm_execpath;
  if (execpath && /pnpm/.test(execpath)) return /\.[cm]?js$/.test(execpath) ? [process.execPath, [execpath]] : [execpath, []];
  return ["npx", ["--yes", "pnpm@12.4.2"]];
}

const banner = (lines: string[]) => console.warn(`\n${"!".repeat(78)}\n${lines.map((l) => `!! ${l}`).join("\n")}\n${"!".repeat(78)}\n`);
const unbuilt = PACKAGES.filter((d) => !existsSync(join(repo, "packages", d, "dist", "index.js")));

describe("the packages, packed and installed with npm in a fresh project", () => {
  const work = mkdtempSync(join(tmpdir(), "aidem-install-"));
  const tarballs = join(work, "tarballs");
  const project = join(work, "project");
  let skipped: string | undefined;
  /** Runtime export names per entry point, as an ESM import sees them (run once, on first use). */
  let esmNames: Promise<Record<string, string[]>> | undefined;
  const namesOf = () =>
    (esmNames ??= (async () => {
      writeFileSync(
        join(project, "esm.mjs"),
        `const out = {};\nfor (const s of process.argv.slice(2)) out[s] = Object.keys(await import(s)).sort();\nconsole.log(JSON.stringify(out));\n`,
      );
      return JSON.parse((await run(process.execPath, ["esm.mjs", ...SPECIFIERS], project)).stdout) as Record<string, string[]>;
    })());

  beforeAll(async () => {
    if (unbuilt.length > 0) throw new Error(`build first (pnpm run build): ${unbuilt.join(", ")} have no dist/`);
    mkdirSync(tarballs);
    mkdirSync(project);
    const [cmd, pre] = pnpm();
    await run(cmd, [...pre, "-r", "--filter", "./packages/*", "pack", "--pack-destination", tarballs], repo);
    const files = readdirSync(tarballs).filter((f) => f.endsWith(".tgz"));
    expect(files).toHaveLength(PACKAGES.length);

    const dependencies: Record<string, string> = { ...peers() };
    for (const m of manifests) dependencies[m.name] = `file:${join(tarballs, `${m.name.slice(1).replace("/", "-")}-${m.version}.tgz`)}`;
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "aidem-consumer", private: true, type: "module", dependencies }, null, 2));
    // --ignore-scripts: nothing of the registry runs here; sqlite3's addon is handled below.
    const install = ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"];
    try {
      await run("npm", [...install, "--prefer-offline"], project);
    } catch (error) {
      if (!NETWORK.test(String(error))) throw error;
      try {
        await run("npm", [...install, "--offline"], project);
      } catch (offline) {
        if (!NETWORK.test(String(offline))) throw offline;
        skipped = `the npm registry does not answer and npm's cache lacks the peers: ${String(error).split("\n")[0]}`;
        if (process.env.CI === "true") throw new Error(`CI=true but ${skipped}`);
        banner([`SKIPPING the install test of the packages: ${skipped}`]);
        return;
      }
    }
    await sqliteAddon(project);
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("pnpm pack: the tarballs hold dist, README, CHANGELOG, LICENSE and package.json, with versions for workspace ranges", async (ctx) => {
    if (skipped) ctx.skip();
    for (const m of manifests) {
      const installed = JSON.parse(readFileSync(join(project, "node_modules", m.name, "package.json"), "utf8")) as Manifest & { files: string[] };
      const all = JSON.stringify({ ...installed.dependencies, ...installed.peerDependencies });
      expect(all, m.name).not.toContain("workspace:");
      const top = readdirSync(join(project, "node_modules", m.name)).sort();
      expect(top, m.name).toEqual(["CHANGELOG.md", "LICENSE", "README.md", "dist", "package.json"]);
      expect(existsSync(join(project, "node_modules", m.name, "dist", ".tsbuildinfo")), m.name).toBe(false);
    }
  });

  it("ESM: every entry point imports, and exports names", async (ctx) => {
    if (skipped) ctx.skip();
    const names = await namesOf();
    expect(Object.keys(names).sort()).toEqual([...SPECIFIERS].sort());
    for (const s of SPECIFIERS) expect(names[s]!.length, s).toBeGreaterThan(0);
    expect(names["@agent-idempotency/core"]).toContain("createIdempotency");
    expect(names["@agent-idempotency/core"]).not.toContain("decideClaim");
    expect(names["@agent-idempotency/core/store"]).toContain("decideClaim");
  }, 60_000);

  it("CommonJS: require() of every entry point returns the same names (Node ≥ 20.19 requires ES modules)", async (ctx) => {
    if (skipped) ctx.skip();
    const names = await namesOf();
    writeFileSync(join(project, "cjs.cjs"), `const out = {};\nfor (const s of process.argv.slice(2)) out[s] = Object.keys(require(s)).filter((k) => k !== "__esModule" && k !== "module.exports").sort();\nconsole.log(JSON.stringify(out));\n`);
    const { stdout, stderr } = await run(process.execPath, ["cjs.cjs", ...SPECIFIERS], project);
    expect(JSON.parse(stdout)).toEqual(names);
    expect(stderr).not.toMatch(/Error/);
  }, 60_000);

  it("the agent-idempotency binary runs from the installed package", async (ctx) => {
    if (skipped) ctx.skip();
    const { stdout } = await run(join(project, "node_modules", ".bin", "agent-idempotency"), ["--help"], project);
    expect(stdout).toMatch(/Usage: agent-idempotency/);
  }, 60_000);

  it("TypeScript node16, bundler and node10: every exported value of every entry point has a declaration, and none is any", async (ctx) => {
    if (skipped) ctx.skip();
    writeFileSync(join(project, "consumer.ts"), consumerSource(await namesOf()));
    const configs = {
      node16: { module: "node16", moduleResolution: "node16", skipLibCheck: false },
      bundler: { module: "esnext", moduleResolution: "bundler", skipLibCheck: false },
      // node10 ignores `exports`: subpaths resolve through `typesVersions`. LangGraph's own subpaths
      // (`@langchain/langgraph/prebuilt`) have none, so its declarations cannot be checked here;
      // tslab, the node10 user we know, skips library checks too.
      node10: { module: "commonjs", moduleResolution: "node10", skipLibCheck: true, esModuleInterop: true },
    };
    const results = await Promise.allSettled(
      Object.entries(configs).map(async ([name, options]) => {
        const file = `tsconfig.${name}.json`;
        const compilerOptions = { strict: true, noEmit: true, target: "ES2022", lib: ["ES2023"], types: ["node"], ...options };
        writeFileSync(join(project, file), JSON.stringify({ compilerOptions, files: ["consumer.ts"] }, null, 2));
        await run(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", file], project);
      }),
    );
    const failed = results.flatMap((r, i) => (r.status === "rejected" ? [`${Object.keys(configs)[i]}: ${String(r.reason)}`] : []));
    expect(failed).toEqual([]);
  }, 300_000);

  it("publint and attw report nothing on any tarball", async (ctx) => {
    if (skipped) ctx.skip();
    const problems: string[] = [];
    for (const file of readdirSync(tarballs).filter((f) => f.endsWith(".tgz"))) {
      const tarball = join(tarballs, file);
      const lint = await run(bin("publint"), ["run", tarball, "--strict", "--level", "suggestion"], work).catch((e: Error) => ({ stdout: e.message, stderr: "" }));
      if (!/All good!/.test(lint.stdout)) problems.push(`publint ${file}:\n${lint.stdout}`);
      // cjs-resolves-to-esm: attw's TypeScript (5.6) predates require() of ES modules; Node 20.19
      // does it (the CommonJS case above proves it), and so does TypeScript ≥ 5.8 under nodenext.
      const attw = await run(bin("attw"), [tarball, "--format", "ascii", "--ignore-rules", "cjs-resolves-to-esm"], work).catch((e: Error) => ({ stdout: e.message, stderr: "" }));
      if (!/No problems found/.test(attw.stdout)) problems.push(`attw ${file}:\n${attw.stdout}`);
    }
    expect(problems).toEqual([]);
  }, 300_000);
});

/**
 * A TypeScript file that imports, by name, every value each entry point exported at run time (a
 * name without a declaration fails), and asserts none of them is `any` (a declaration whose own
 * imports did not resolve).
 */
function consumerSource(names: Record<string, string[]>): string {
  const lines = ["/** The names of the values of a module that are typed `any`. */", "type AnyMembers<T> = { [K in keyof T]: 0 extends 1 & T[K] ? K : never }[keyof T];"];
  Object.entries(names).forEach(([spec, list], i) => {
    lines.push(`import { ${list.map((n) => `${n} as m${i}_${n}`).join(", ")} } from "${spec}";`);
    lines.push(`const v${i} = { ${list.map((n) => `${n}: m${i}_${n}`).join(", ")} };`);
    lines.push(`export const t${i}: [AnyMembers<typeof v${i}>] extends [never] ? true : AnyMembers<typeof v${i}> = true;`);
  });
  return `${lines.join("\n")}\n`;
}

/**
 * sqlite3's native addon: the install ran no scripts, so copy the one this workspace built when the
 * versions match (compiling takes about two minutes), else build it (`npm rebuild`, Node's headers).
 */
async function sqliteAddon(project: string): Promise<void> {
  const target = join(project, "node_modules", "sqlite3");
  if (!existsSync(target)) return;
  const version = (dir: string) => (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
  const addon = join("build", "Release", "node_sqlite3.node");
  try {
    const ours = dirname(createRequire(join(repo, "packages", "store-sqlite", "package.json")).resolve("sqlite3/package.json"));
    if (version(ours) === version(target) && existsSync(join(ours, addon))) {
      mkdirSync(join(target, "build", "Release"), { recursive: true });
      copyFileSync(join(ours, addon), join(target, addon));
      return;
    }
  } catch {
    // not resolvable from the workspace: build it below
  }
  await run("npm", ["rebuild", "sqlite3", "--foreground-scripts", "--loglevel=error"], project, 600_000);
}
