import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
const packages = ["core", "langgraph", "langchain", "store-sqlite", "store-postgres", "store-redis", "store-mysql", "cli", "mcp", "opentelemetry"];

/**
 * Every entry point of every package (`@agent-idempotency/core`, `…/core/store`, `…/mcp/server`),
 * read from its package.json `exports`, to the source file its `dist/` file is built from.
 */
function sourceAliases(): { find: RegExp; replacement: string }[] {
  return packages.flatMap((name) => {
    const exports = JSON.parse(readFileSync(`${root}packages/${name}/package.json`, "utf8")).exports as Record<string, string | { default: string }>;
    return Object.entries(exports)
      .filter((e): e is [string, { default: string }] => typeof e[1] === "object")
      .map(([subpath, target]) => ({
        find: new RegExp(`^@agent-idempotency/${name}${subpath === "." ? "" : subpath.slice(1)}$`),
        replacement: `${root}packages/${name}/${target.default.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts")}`,
      }));
  });
}

export default defineConfig({
  resolve: {
    // Tests run against the sources, so `pnpm test:unit` needs no build. Processes that tests fork
    // (cross-process races, crash tests) run plain Node and import the built `dist/`.
    alias: sourceAliases(),
  },
  test: {
    globalSetup: [`${root}test/support/global-setup.ts`],
    reporters: ["default", `${root}test/support/summary-reporter.ts`],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: { name, root: `${root}packages/${name}`, include: ["tests/**/*.test.ts"] },
      })),
      { extends: true as const, test: { name: "integration", root: `${root}test`, include: ["integration/**/*.test.ts", "chaos/**/*.quick.test.ts"] } },
      { extends: true as const, test: { name: "examples", root: `${root}examples`, include: ["*/tests/**/*.test.ts"] } },
    ],
  },
});
