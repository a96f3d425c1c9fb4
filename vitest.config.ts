import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
const packages = ["core", "langgraph", "langchain", "store-sqlite", "store-postgres", "store-redis", "store-mysql", "cli", "mcp", "opentelemetry"];

export default defineConfig({
  resolve: {
    // Tests run against the sources, so `pnpm test:unit` needs no build. Processes that tests fork
    // (cross-process races, crash tests) run plain Node and import the built `dist/`.
    alias: [
      { find: /^@agent-idempotency\/core\/phone$/, replacement: `${root}packages/core/src/phone.ts` },
      { find: /^@agent-idempotency\/([a-z-]+)\/testing$/, replacement: `${root}packages/$1/src/testing/index.ts` },
      { find: /^@agent-idempotency\/mcp\/server$/, replacement: `${root}packages/mcp/src/server/index.ts` },
      { find: /^@agent-idempotency\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
    ],
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
