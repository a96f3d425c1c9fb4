/**
 * The README's ```ts snippet runs (test/support/readme-snippets.ts). It opens `./idempotency.db`,
 * as a user's program would, so it runs in a temp folder of its own rather than the repository.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itRunsEachSnippet, readmeSnippets } from "../../../test/support/readme-snippets.js";

const snippets = readmeSnippets(import.meta.url);

describe("README", () => {
  const cwd = process.cwd();
  const dir = mkdtempSync(join(tmpdir(), "aidem-sqlite-readme-"));
  beforeAll(() => process.chdir(dir));
  afterAll(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it("has one runnable snippet, the smallest example", () => {
    expect(snippets).toHaveLength(1);
  });

  itRunsEachSnippet(snippets, import.meta.url);
});
