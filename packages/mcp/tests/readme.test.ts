/**
 * The README's ```ts snippet runs: it is written next to the package (so its imports resolve as a
 * user's would, with `@agent-idempotency/*` aliased to the sources), imported, and what it prints is
 * compared with the `// …` comments it promises. The ```ts fragment blocks use names of the code
 * around them (a store, a handler) and need a server process; the example under examples/mcp runs
 * that setup.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { afterAll, describe, expect, it, vi } from "vitest";

const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = fileURLToPath(new URL("./.readme-snippets/", import.meta.url));

describe("README", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has one runnable snippet with both sides", () => {
    expect(snippets).toHaveLength(1);
    expect(snippets[0]).toContain("mcpServerIdempotency");
    expect(snippets[0]).toContain("forwardIdempotencyKey");
  });

  it("snippet 1 runs and prints what its comments say", async () => {
    mkdirSync(dir, { recursive: true });
    const file = `${dir}snippet-1.ts`;
    writeFileSync(file, `${snippets[0]}\nexport {};\n`);
    const printed: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(args.map((a) => (typeof a === "string" ? a : inspect(a))).join(" ")));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      log.mockRestore();
      warn.mockRestore();
    }
    const promised = [...snippets[0]!.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]!);
    expect(printed).toEqual(promised);
  });
});
