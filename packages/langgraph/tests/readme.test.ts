/**
 * The README's ```ts snippets run and print what their comments say (test/support/readme-snippets.ts);
 * its ```ts fragment blocks name a `store` or a `graph` they do not build and are not run.
 */
import { describe, expect, it } from "vitest";
import { itRunsEachSnippet, readmeSnippets } from "../../../test/support/readme-snippets.js";

const snippets = readmeSnippets(import.meta.url);

describe("README", () => {
  it("its TypeScript snippets run", () => {
    expect(snippets.length).toBeGreaterThan(0);
  });

  itRunsEachSnippet(snippets, import.meta.url);
});
