/**
 * A package README's ```ts snippets, run as tests: each is written next to the package's tests
 * (so its imports resolve as a user's would, with `@agent-idempotency/*` aliased to the sources),
 * imported, and what it prints is compared with the `// …` comments it promises. A fence marked
 * ```ts fragment is a piece of a larger program (it names a `store` or a `graph` it does not
 * build) and is not run.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { afterAll, expect, it, vi } from "vitest";

/**
 * The runnable ```ts snippets of the README beside the tests folder of `testFile` (a test's
 * `import.meta.url`), in the order they appear.
 */
export function readmeSnippets(testFile: string): string[] {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", testFile)), "utf8");
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/**
 * One test per snippet, "snippet N runs and prints what its comments say": the snippet is written
 * to `.readme-snippets/` beside `testFile` (removed after the file's tests), imported, and every
 * `console.log(…); // text` must have printed `text`, in order, and nothing else was logged.
 * Call it inside a `describe`.
 */
export function itRunsEachSnippet(snippets: readonly string[], testFile: string): void {
  const dir = fileURLToPath(new URL("./.readme-snippets/", testFile));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
}
