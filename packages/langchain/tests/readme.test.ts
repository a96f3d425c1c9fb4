/**
 * The README's ```ts snippets run: each is written next to the package (so its imports resolve as
 * a user's would, with `@agent-idempotency/*` aliased to the sources), imported, and what it
 * prints is compared with the `// …` comment it promises.
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

  it("has a runnable snippet for each of the three exports, and one for the order among langchain's middleware", () => {
    expect(snippets).toHaveLength(4);
  });

  it.each(snippets.map((code, i) => [i + 1, code] as const))("snippet %i runs and prints what its comments say", async (i, code) => {
    mkdirSync(dir, { recursive: true });
    const file = `${dir}snippet-${i}.ts`;
    writeFileSync(file, `${code}\nexport {};\n`);
    const printed: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(args.map((a) => (typeof a === "string" ? a : inspect(a))).join(" ")));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      log.mockRestore();
      warn.mockRestore();
    }
    const promised = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]!);
    expect(printed).toEqual(promised);
  });
});
